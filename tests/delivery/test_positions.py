"""Room positions in the database: given at commit in order, backfilled by the migration for existing rooms."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.db import make_engine
from app.demo import seed_demo
from app.migrate import alembic_config, upgrade
from rooms.clock import utcnow
from rooms.models import ExchangeSession, Message, MessageRow, ModerationState, Room
from rooms.pg_batch import store_batch
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


def _two_writers_in_opposite_orders(
    engine: Engine, rooms: list[int], write_batch: Callable[[list[int], str, int], None]
) -> None:
    """Two threads (two server processes) each write 15 batches over ``rooms``, one in the opposite order of the
    other; then every room's positions are 1..30, none twice or skipped, and neither writer deadlocked the other."""
    errors: list[BaseException] = []

    def write(order: list[int], name: str) -> None:
        try:
            for batch in range(15):
                write_batch(order, name, batch)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(o, n)) for o, n in ((rooms, "a"), (rooms[::-1], "b"))]
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


def test_batches_over_several_rooms_from_concurrent_writers_take_each_position_once(engine: Engine) -> None:
    """Two writers commit ORM batches that span the same rooms, listed in opposite orders."""
    with Session(engine) as db:
        rooms = [_room(db) for _ in range(4)]

    def write_batch(order: list[int], _name: str, batch: int) -> None:
        with Session(engine) as db:
            db.add_all(Message(room_id=room, text=f"{batch}", state=ModerationState.VISIBLE) for room in order)
            db.commit()

    _two_writers_in_opposite_orders(engine, rooms, write_batch)


def _store(engine: Engine, rows: list[MessageRow]) -> None:
    with engine.connect() as conn, conn.begin():
        store_batch(conn, rows)


def test_a_postgres_batch_is_numbered_and_stored_in_one_statement(engine: Engine) -> None:
    """The writer's PostgreSQL path: each row gets its own id and its room's next position in batch order; held and
    blocked rows get none."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement batch is PostgreSQL's")
    with Session(engine) as db:
        rooms = [_room(db) for _ in range(3)]
    states = [ModerationState.VISIBLE, ModerationState.HELD, ModerationState.MASKED, ModerationState.BLOCKED]
    rows = [
        MessageRow(room_id=rooms[i % 3], participant_id=None, client_msg_id=None, text=f"m{i}", created_at=utcnow())
        for i in range(12)
    ]
    for i, row in enumerate(rows):
        row.state = states[i % 4]
    _store(engine, rows)
    expected: dict[int, int] = {}
    for row in rows:
        if row.state in (ModerationState.VISIBLE, ModerationState.MASKED):
            expected[row.room_id] = expected.get(row.room_id, 0) + 1
            assert row.seq == expected[row.room_id]
        else:
            assert row.seq is None
    with Session(engine) as db:
        for row in rows:
            stored = db.get(Message, row.id)
            assert stored is not None
            assert (stored.text, stored.room_id, stored.seq, stored.state) == (
                row.text,
                row.room_id,
                row.seq,
                row.state,
            )
        assert [db.get(Room, r).last_seq for r in rooms] == [expected.get(r, 0) for r in rooms]  # type: ignore[union-attr]


def test_postgres_batches_from_concurrent_writers_take_each_position_once(engine: Engine) -> None:
    """Two writers' one-statement batches span the same rooms in opposite orders: positions 1..n each once, ids
    matched to their rows, and no deadlock."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement batch is PostgreSQL's")
    with Session(engine) as db:
        rooms = [_room(db) for _ in range(4)]
    written: list[MessageRow] = []

    def write_batch(order: list[int], name: str, batch: int) -> None:
        rows = [
            MessageRow(room_id=r, participant_id=None, client_msg_id=None, text=f"{name}{batch}", created_at=utcnow())
            for r in order
        ]
        _store(engine, rows)
        written.extend(rows)

    _two_writers_in_opposite_orders(engine, rooms, write_batch)
    with Session(engine) as db:
        for row in written:
            stored = db.get(Message, row.id)
            assert stored is not None
            assert (stored.text, stored.room_id, stored.seq) == (row.text, row.room_id, row.seq)
