"""Room positions in the database: given at commit in order, backfilled by the migration for existing rooms."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.db import make_engine
from app.demo import seed_demo
from app.migrate import alembic_config, upgrade
from rooms.models import ExchangeSession, Message, ModerationState, Room
from rooms.store import catch_up_page, position_of, sequence_released
from tests.conftest import make_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'positions.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    upgrade(engine)
    seed_demo(engine, make_settings(tmp_path, database_url=url))
    yield engine
    engine.dispose()


def _room(db: Session) -> int:
    session = db.exec(select(ExchangeSession)).first()
    assert session is not None
    assert session.id is not None
    room = Room(session_id=session.id)
    db.add(room)
    db.commit()
    assert room.id is not None
    return room.id


def test_positions_follow_visibility_and_skip_held_messages(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        room_id = _room(db)
        states = [ModerationState.VISIBLE, ModerationState.HELD, ModerationState.MASKED, ModerationState.BLOCKED]
        messages = [Message(room_id=room_id, text=f"m{i}", state=state) for i, state in enumerate(states)]
        db.add_all(messages)
        db.commit()
        assert [m.seq for m in messages] == [1, None, 2, None]
        held = messages[1]
        db.execute(text("UPDATE message SET state = 'VISIBLE' WHERE id = :id"), {"id": held.id})
        db.commit()
        released = sequence_released(db, held)
        assert released.seq == 3  # released later: a later position, never one a client may be past already
        page, _, last = catch_up_page(db, room_id, 0, 10)
        assert ([m.text for m in page], last) == (["m0", "m2", "m1"], 3)
        assert position_of(db, room_id, messages[2].id or 0) == 2


def test_migration_numbers_existing_messages_by_room_in_id_order(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        rooms = [_room(db), _room(db)]
        for i in range(6):
            state = ModerationState.HELD if i == 3 else ModerationState.VISIBLE
            db.add(Message(room_id=rooms[i % 2], text=f"m{i}", state=state))
            db.commit()
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")  # to the revision before room positions
    upgrade(engine)
    with Session(engine) as db:
        got = {m.text: (m.room_id, m.seq) for m in db.exec(select(Message).where(Message.room_id.in_(rooms)))}  # type: ignore[attr-defined]
        assert got == {
            "m0": (rooms[0], 1), "m2": (rooms[0], 2), "m4": (rooms[0], 3),
            "m1": (rooms[1], 1), "m3": (rooms[1], None), "m5": (rooms[1], 2),
        }  # fmt: skip
        assert [db.get(Room, r).last_seq for r in rooms] == [3, 2]  # type: ignore[union-attr]


def test_batches_over_several_rooms_from_concurrent_writers_take_each_position_once(engine: Engine) -> None:
    """Two writers (two server processes) commit batches that span the same rooms, listed in opposite orders:
    every room's positions come out 1..n, none twice or skipped, and neither writer deadlocks the other."""
    with Session(engine) as db:
        rooms = [_room(db) for _ in range(4)]

    def write(order: list[int], errors: list[BaseException]) -> None:
        try:
            for batch in range(15):
                with Session(engine) as db:
                    db.add_all(Message(room_id=room, text=f"{batch}", state=ModerationState.VISIBLE) for room in order)
                    db.commit()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    errors: list[BaseException] = []
    writers = [threading.Thread(target=write, args=(order, errors)) for order in (rooms, rooms[::-1])]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert not errors
    with Session(engine) as db:
        for room in rooms:
            seqs = db.exec(select(Message.seq).where(Message.room_id == room)).all()
            assert sorted(s for s in seqs if s is not None) == list(range(1, 31))
            assert db.get(Room, room).last_seq == 30  # type: ignore[union-attr]
