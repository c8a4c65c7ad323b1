"""Migrations and models on both databases: empty -> head, every table round-trips, constraints hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from app.db import make_engine
from app.migrate import current_revision, head_revision, upgrade
from app.models import Exchange, ExchangeClass, Role, School, SchoolClass, User
from rooms.clock import utcnow
from rooms.models import ExchangeSession, Message, ModerationAction, Participant, Report, Room, RoomMember
from translation.models import Translation


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'models.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_migrations_take_an_empty_database_to_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_hot_query_indexes_exist(engine: Engine) -> None:
    names = {ix["name"] for ix in inspect(engine).get_indexes("message")}
    assert "ix_message_room_id_id" in names


def test_messages_by_participant_are_found_through_the_client_id_constraint_alone(engine: Engine) -> None:
    # Its index starts with participant_id; a second index on that column only cost each stored message a page.
    inspector = inspect(engine)
    assert "ix_message_participant_id" not in {ix["name"] for ix in inspector.get_indexes("message")}
    unique = {uc["name"]: uc["column_names"] for uc in inspector.get_unique_constraints("message")}
    assert unique["uq_message_client_id"] == ["participant_id", "client_msg_id"]


def test_every_model_round_trips(engine: Engine) -> None:
    now = utcnow()
    with Session(engine, expire_on_commit=False) as db:
        school = School(name="Escola", country="PT", languages=["pt", "en"], timezone="Europe/Lisbon")
        db.add(school)
        db.flush()
        user = User(username="u1", display_name="U", password_hash="h", role=Role.COORDINATOR, school_id=school.id)
        cls = SchoolClass(
            school_id=school.id or 0,
            name="7A",
            age_band="12-13",
            languages=["pt"],
            availability=[{"weekday": 1, "start": "10:00", "end": "11:00"}],
            join_code="ABCD2345",
            join_code_expires_at=now + timedelta(days=1),
        )
        exchange = Exchange(title="T", link_allowlist=["example.org"], moderation={"max_length": 500})
        db.add_all([user, cls, exchange])
        db.flush()
        db.add(ExchangeClass(exchange_id=exchange.id or 0, class_id=cls.id or 0, accepted=True))
        session = ExchangeSession(
            exchange_id=exchange.id or 0, starts_at=now, ends_at=now + timedelta(hours=1), prompts=["Hi?"]
        )
        db.add(session)
        db.flush()
        student = Participant(
            session_id=session.id or 0,
            class_id=cls.id or 0,
            display_name="Zé",
            country="PT",
            languages=["pt"],
            token_nonce="n",
        )
        room = Room(session_id=session.id or 0)
        db.add_all([student, room])
        db.flush()
        db.add(RoomMember(room_id=room.id or 0, participant_id=student.id or 0))
        message = Message(
            room_id=room.id or 0, participant_id=student.id, client_msg_id="c", text="olá 👋", language="pt"
        )
        db.add(message)
        db.flush()
        db.add_all(
            [
                Report(message_id=message.id or 0, reporter_id=student.id or 0, reason="spam"),
                ModerationAction(session_id=session.id, action="mute", reason="test"),
                Translation(text_hash="0" * 64, source="pt", target="en", model_version="v", translated_text="hello"),
            ]
        )
        db.commit()
        ids = (school.id, cls.id, session.id, message.id)
    with Session(engine) as db:
        school2 = db.get(School, ids[0])
        cls2 = db.get(SchoolClass, ids[1])
        session2 = db.get(ExchangeSession, ids[2])
        message2 = db.get(Message, ids[3])
        assert school2 is not None
        assert school2.languages == ["pt", "en"]
        assert cls2 is not None
        assert cls2.availability == [{"weekday": 1, "start": "10:00", "end": "11:00"}]
        assert cls2.join_code_expires_at.tzinfo is not None
        assert session2 is not None
        assert session2.prompts == ["Hi?"]
        assert abs(session2.starts_at - now) < timedelta(seconds=1)
        assert message2 is not None
        assert message2.text == "olá 👋"


def test_client_message_id_is_unique_per_sender(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as db:
        school = School(name="S", country="FR", languages=["fr"], timezone="Europe/Paris")
        db.add(school)
        db.flush()
        cls = SchoolClass(
            school_id=school.id or 0, name="c", age_band="13-15", join_code="QQQQ2222", join_code_expires_at=now
        )
        exchange = Exchange(title="x")
        db.add_all([cls, exchange])
        db.flush()
        session = ExchangeSession(exchange_id=exchange.id or 0, starts_at=now, ends_at=now)
        db.add(session)
        db.flush()
        p = Participant(
            session_id=session.id or 0, class_id=cls.id or 0, display_name="a", country="FR", token_nonce="n"
        )
        room = Room(session_id=session.id or 0)
        db.add_all([p, room])
        db.flush()
        db.add(Message(room_id=room.id or 0, participant_id=p.id, client_msg_id="dup", text="1"))
        db.commit()
        db.add(Message(room_id=room.id or 0, participant_id=p.id, client_msg_id="dup", text="2"))
        with pytest.raises(IntegrityError):
            db.commit()
