"""Joins of a burst in one trip (``admit_many``, ``enrol_many``): the same answers as one join at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from app.demo import DemoData
from app.models import SchoolClass
from app.settings import Settings
from app.students.joining import Enrolment, JoinError, JoinResult, admit, admit_many, enrol_many
from rooms.clock import utcnow
from rooms.models import ExchangeSession, Participant, ParticipantStatus, SessionStatus
from tests.support.db import db


def test_admit_many_answers_each_code_and_fails_only_the_unknown_one(settings: Settings, demo: DemoData) -> None:
    with db(settings) as session:
        found = admit_many(session, ["RIVER9", "NOPE00", "CERVA3", "RIVER9"])
    assert [type(f).__name__ for f in found] == ["Admission", "JoinError", "Admission", "Admission"]
    assert isinstance(found[1], JoinError)
    assert found[1].code == "unknown_code"


def test_enrol_many_commits_the_batch_and_fails_only_the_join_in_error(settings: Settings, demo: DemoData) -> None:
    with db(settings) as session:
        gb = admit(session, "RIVER9")
        joins = [
            Enrolment(gb, "Ann", None, None),
            Enrolment(gb, "Ann", None, None),  # the same name twice in one batch: the whole commit fails at first
            Enrolment(gb, "Cat", "XX", None),  # no such country: refused before any write
            Enrolment(gb, "Dan", None, None),
        ]
        results = enrol_many(session, joins)
    outcome = [r.code if isinstance(r, JoinError) else r.participant.display_name for r in results]
    assert outcome == ["Ann", "name_taken", "bad_country", "Dan"]
    with db(settings) as session:
        again = enrol_many(session, [Enrolment(gb, "Eve", None, None), Enrolment(gb, "Fay", "es", ["es"])])
    assert all(isinstance(r, JoinResult) for r in again)
    ids = [r.participant.id for r in again if isinstance(r, JoinResult)]
    assert len(set(ids)) == 2
    assert None not in ids


def test_enrol_many_gives_each_join_the_id_of_its_own_row(demo_engine: Engine) -> None:
    """One multi-row INSERT … RETURNING: each result's id is the row stored with its name, on either database."""
    names = [f"Kid{n:02d}" for n in range(40)]
    with Session(demo_engine, expire_on_commit=False) as session:
        gb, es = admit(session, "RIVER9"), admit(session, "CERVA3")
        results = enrol_many(
            session, [Enrolment(gb if n % 3 else es, name, None, None) for n, name in enumerate(names)]
        )
    joined = [r for r in results if isinstance(r, JoinResult)]
    assert [r.participant.display_name for r in joined] == names
    with Session(demo_engine) as session:
        stored = {p.id: p for p in session.exec(select(Participant).where(col(Participant.display_name).in_(names)))}
    for result in joined:
        row = stored[result.participant.id]
        assert row.display_name == result.participant.display_name
        assert (row.country, row.class_id) == (result.participant.country, result.participant.class_id)
        assert row.status == ParticipantStatus.AWAY
        assert row.token_nonce == result.participant.token_nonce
        assert row.joined_at is not None
        assert inspect(result.participant).detached  # stored, in no session (as ``enrol`` leaves it)


def test_admit_picks_the_session_open_now_else_the_next_today(demo_engine: Engine) -> None:
    """``admit``'s one query: live (or paused) first, else a scheduled one starting within 12 h, else no session."""

    def outcome() -> str:
        with Session(demo_engine, expire_on_commit=False) as session:
            try:
                return admit(session, " river9 ").session.status.value
            except JoinError as exc:
                return exc.code

    def change(**values: object) -> None:
        with Session(demo_engine) as session:
            for exchange_session in session.exec(select(ExchangeSession)):
                for key, value in values.items():
                    setattr(exchange_session, key, value)
                session.add(exchange_session)
            session.commit()

    now = utcnow()
    assert outcome() == "live"
    change(status=SessionStatus.SCHEDULED, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2))
    assert outcome() == "scheduled"
    change(starts_at=now + timedelta(hours=13), ends_at=now + timedelta(hours=14))
    assert outcome() == "no_session"
    change(status=SessionStatus.CLOSED, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    assert outcome() == "no_session"
    with Session(demo_engine) as session:
        school_class = session.exec(select(SchoolClass).where(SchoolClass.join_code == "RIVER9")).one()
        school_class.join_code_expires_at = now - timedelta(minutes=1)
        session.add(school_class)
        session.commit()
    assert outcome() == "expired_code"


def test_a_taken_name_fails_only_its_own_join_on_either_database(demo_engine: Engine) -> None:
    """The batch's INSERT fails as a whole (PostgreSQL aborts the transaction); it is then enrolled one by one."""
    with Session(demo_engine, expire_on_commit=False) as session:
        gb = admit(session, "RIVER9")
        first = enrol_many(session, [Enrolment(gb, "Ola", None, None)])
        again = enrol_many(session, [Enrolment(gb, "Pia", None, None), Enrolment(gb, "Ola", None, None)])
    assert isinstance(first[0], JoinResult)
    assert isinstance(again[0], JoinResult)
    assert again[0].participant.display_name == "Pia"
    assert isinstance(again[1], JoinError)
    assert again[1].code == "name_taken"
    with Session(demo_engine) as session:
        names = session.exec(select(Participant.display_name).where(col(Participant.display_name).in_(["Ola", "Pia"])))
        assert sorted(names) == ["Ola", "Pia"]
