"""Joins of a burst in one trip (``admit_many``, ``enrol_many``): the same answers as one join at a time."""

from __future__ import annotations

from app.demo import DemoData
from app.settings import Settings
from app.students.joining import Enrolment, JoinError, JoinResult, admit, admit_many, enrol_many
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
