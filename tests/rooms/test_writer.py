"""The batch writer: each message stored once, in one transaction per batch, on a connection it keeps."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.db import make_engine
from app.demo import DemoData
from app.models import SchoolClass
from app.settings import Settings
from rooms.clock import utcnow
from rooms.database import Database
from rooms.models import Message, MessageKind, MessageRow, ModerationState, Participant, Room
from rooms.writer import BatchWriter, WriteFailed
from tests.conftest import make_settings
from tests.support.db import db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Settings:
    """Each test on SQLite and on PostgreSQL (the writer has a path of its own for each)."""
    if request.param == "postgres":
        return make_settings(tmp_path, database_url=request.getfixturevalue("postgres_url"))
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path)


@pytest.fixture
async def writer(settings: Settings, demo: DemoData) -> AsyncIterator[BatchWriter]:
    database = Database(make_engine(settings.database_url))
    writer = BatchWriter(database)
    writer.start()
    yield writer
    await writer.stop()
    database.dispose()


def _room_and_student(settings: Settings, session_id: int, name: str = "Alice") -> tuple[int, int]:
    with db(settings) as session:
        school_class = session.exec(select(SchoolClass)).first()
        assert school_class is not None
        assert school_class.id is not None
        room = Room(session_id=session_id)
        session.add(room)
        session.flush()
        student = Participant(
            session_id=session_id,
            class_id=school_class.id,
            display_name=name,
            country="GB",
            token_nonce="n",
            room_id=room.id,
        )
        session.add(student)
        session.commit()
        assert room.id is not None
        assert student.id is not None
        return room.id, student.id


def _row(room_id: int, participant_id: int, client_id: str, text: str) -> MessageRow:
    return MessageRow(
        room_id=room_id, participant_id=participant_id, client_msg_id=client_id, text=text, created_at=utcnow()
    )


async def test_writer_stores_a_client_id_sent_twice_in_one_batch_once(
    settings: Settings, demo: DemoData, writer: BatchWriter
) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    first, retry, other = await asyncio.gather(
        writer.write(_row(room_id, pid, "c1", "hello")),
        writer.write(_row(room_id, pid, "c1", "hello")),  # the client's retry, queued in the same batch
        writer.write(_row(room_id, pid, "c2", "and you?")),
    )
    assert (first.duplicate, retry.duplicate, other.duplicate) == (False, True, False)
    assert first.message.id == retry.message.id
    assert first.message.seq is not None
    assert other.message.seq is not None
    with db(settings) as session:
        stored = session.exec(select(Message).where(Message.room_id == room_id).order_by(Message.seq)).all()
    assert [(m.client_msg_id, m.seq) for m in stored] == [("c1", 1), ("c2", 2)]


async def test_writer_takes_a_new_connection_when_its_own_was_lost(
    settings: Settings, demo: DemoData, writer: BatchWriter
) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    before = await writer.write(_row(room_id, pid, "c1", "before"))
    assert writer._conn is not None
    writer._conn.invalidate()  # as a database restart leaves it
    after = await writer.write(_row(room_id, pid, "c2", "after"))
    assert (before.message.seq, after.message.seq) == (1, 2)
    assert after.message.id is not None


async def test_a_failed_batch_reaches_its_senders_and_the_writer_thread_carries_on(
    settings: Settings, demo: DemoData, writer: BatchWriter
) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    with db(settings) as session:  # the INSERT fails for a reason that is not the rows' (as an outage would)
        session.execute(text("ALTER TABLE message RENAME TO message_away"))
        session.commit()
    with pytest.raises(WriteFailed):
        await writer.write(_row(room_id, pid, "c1", "lost"))
    with db(settings) as session:
        session.execute(text("ALTER TABLE message_away RENAME TO message"))
        session.commit()
    stored = await writer.write(_row(room_id, pid, "c2", "kept"))
    assert stored.message.id is not None
    assert stored.message.seq == 1  # the failed batch's position was rolled back with it


async def test_writer_stores_a_large_batch_of_several_rooms_as_the_orm_reads_it(
    settings: Settings, demo: DemoData, writer: BatchWriter
) -> None:
    # More rows than one INSERT takes (rooms._sqlite.INSERT_ROWS), three rooms and every column type written.
    rooms = [_room_and_student(settings, demo.session_id, name) for name in ("Alice", "Bruno", "Chen")]
    rows = [
        replace(
            _row(*rooms[i % 3], f"c{i}", f"text {i}"),
            state=(ModerationState.VISIBLE, ModerationState.HELD, ModerationState.MASKED)[i % 4 % 3],
            original_text="original" if i % 5 == 0 else None,
            language="es",
        )
        for i in range(150)
    ]
    written = await asyncio.gather(*(writer.write(row) for row in rows))
    assert writer.batches < 150  # written in batches, not one by one
    with db(settings) as session:
        stored = {m.id: m for m in session.exec(select(Message).where(Message.client_msg_id.startswith("c"))).all()}  # type: ignore[union-attr]
    assert len(stored) == 150
    for row, result in zip(rows, written, strict=True):
        assert result.message.id is not None
        message = stored[result.message.id]
        assert (message.client_msg_id, message.text, message.state, message.kind) == (
            row.client_msg_id,
            row.text,
            row.state,
            MessageKind.CHAT,
        )
        assert (message.original_text, message.language, message.created_at) == (
            row.original_text,
            "es",
            row.created_at,
        )
        assert message.seq == result.message.seq
    for room_id, _ in rooms:
        positions = sorted(m.seq for m in stored.values() if m.room_id == room_id and m.seq is not None)
        assert positions == list(range(1, len(positions) + 1))
    held = [m for m in stored.values() if m.state == ModerationState.HELD]
    assert held
    assert all(m.seq is None for m in held)


@pytest.mark.parametrize("settings", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_writer_retries_a_batch_on_a_new_connection_when_the_database_dropped_its_own(
    settings: Settings, demo: DemoData, writer: BatchWriter
) -> None:
    # Nothing was sent on the dropped connection: the batch is written on a new one, not failed.
    room_id, pid = _room_and_student(settings, demo.session_id)
    before = await writer.write(_row(room_id, pid, "c1", "before"))
    assert writer._conn is not None
    backend = writer._conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    writer._conn.rollback()
    with db(settings) as session:  # as a database restart does to an idle connection
        session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    await asyncio.sleep(0.1)
    after = await writer.write(_row(room_id, pid, "c2", "after"))
    assert (before.message.seq, after.message.seq) == (1, 2)


@pytest.fixture
async def gathering_writer(settings: Settings, demo: DemoData) -> AsyncIterator[BatchWriter]:
    database = Database(make_engine(settings.database_url))
    writer = BatchWriter(database, gather=0.3, gather_rows=3)
    writer.start()
    yield writer
    await writer.stop()
    database.dispose()


def _stored_seqs(settings: Settings, room_id: int) -> list[int | None]:
    with db(settings) as session:
        return [m.seq for m in session.exec(select(Message).where(Message.room_id == room_id).order_by(Message.seq))]


async def test_group_commit_waits_its_window_and_acks_only_once_committed(
    settings: Settings, demo: DemoData, gathering_writer: BatchWriter
) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(gathering_writer.write(_row(room_id, pid, "c1", "one")))
    await asyncio.sleep(0.1)
    assert not first.done()  # still gathering
    assert _stored_seqs(settings, room_id) == []
    second = await gathering_writer.write(_row(room_id, pid, "c2", "two"))  # joins the first's batch
    assert loop.time() - started >= 0.3
    assert (first.result().message.seq, second.message.seq) == (1, 2)
    assert gathering_writer.batches == 1
    assert _stored_seqs(settings, room_id) == [1, 2]  # acknowledged: committed, seen from another connection


async def test_group_commit_commits_as_soon_as_enough_rows_are_queued(
    settings: Settings, demo: DemoData, gathering_writer: BatchWriter
) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(gathering_writer.write(_row(room_id, pid, "c1", "one")))
    await asyncio.sleep(0.05)
    rest = await asyncio.gather(*(gathering_writer.write(_row(room_id, pid, f"c{i}", "more")) for i in (2, 3)))
    assert loop.time() - started < 0.25  # the third row ended the window
    assert [w.message.seq for w in (await first, *rest)] == [1, 2, 3]
    assert gathering_writer.batches == 1


async def test_group_commit_does_not_hold_back_what_queued_during_a_commit(
    settings: Settings, demo: DemoData, gathering_writer: BatchWriter
) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    first = asyncio.create_task(gathering_writer.write(_row(room_id, pid, "c1", "one")))
    while gathering_writer._gathering is None:  # noqa: ASYNC110  # until the writer starts its window
        await asyncio.sleep(0)
    gathering_writer._gathering.set_result(None)  # the window ends: the batch of one commits
    await asyncio.sleep(0)
    second = asyncio.create_task(gathering_writer.write(_row(room_id, pid, "c2", "two")))  # queued during it
    loop = asyncio.get_running_loop()
    await first
    committed = loop.time()
    await second
    assert loop.time() - committed < 0.2  # not another 0.3 s window
    assert gathering_writer.batches == 2


async def test_stopping_a_gathering_writer_commits_what_it_holds(settings: Settings, demo: DemoData) -> None:
    room_id, pid = _room_and_student(settings, demo.session_id)
    database = Database(make_engine(settings.database_url))
    writer = BatchWriter(database, gather=0.3)
    writer.start()
    pending = asyncio.create_task(writer.write(_row(room_id, pid, "c1", "kept")))
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await writer.stop()
    assert loop.time() - started < 0.25  # the window ends with the stop
    assert (await pending).message.seq == 1
    assert _stored_seqs(settings, room_id) == [1]
    database.dispose()
