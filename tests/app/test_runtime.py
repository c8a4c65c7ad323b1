"""The wiring: what `running` starts it stops once, last first; accepted messages are flushed before sockets go."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.migrate import upgrade
from app.runtime import running
from app.settings import Settings
from rooms.connection import Connection
from rooms.models import Message, MessageKind, Room
from rooms.writer import Written
from tests.conftest import make_settings
from tests.support.db import db


def _room(settings: Settings, session_id: int) -> int:
    with db(settings) as session:
        room = Room(session_id=session_id)
        session.add(room)
        session.commit()
        assert room.id is not None
        return room.id


async def test_runtime_flushes_messages_then_tells_sockets_then_stops(settings: Settings, demo: DemoData) -> None:
    room_id = _room(settings, demo.session_id)
    events: list[str] = []

    async def send_text(text: str) -> None:
        events.append(json.loads(text)["code"])

    async with running(settings, settings.resolve_secret()) as svc:
        conn = Connection(send_text)
        svc.sockets.add(conn)

        async def serve() -> None:  # what the socket route does: write frames until closed, then let go
            await conn.pump()
            events.append(f"closed {conn.close_code}")
            svc.sockets.discard(conn)

        socket = asyncio.create_task(serve())
        # Accepted just as shutdown begins: nothing yields before the context exits, so it is still queued.
        accepted = asyncio.create_task(
            svc.writer.write(
                Message(room_id=room_id, kind=MessageKind.SYSTEM, text="last words"),
                lambda written: events.append(f"committed {written.message.text}"),
            )
        )
    stored: Written = await accepted
    assert stored.message.id is not None
    assert socket.done()
    assert events == ["committed last words", "server_shutdown", "closed 1012"]


async def test_runtime_shutdown_with_no_socket_open_does_not_wait(settings: Settings) -> None:
    loop = asyncio.get_running_loop()
    async with running(settings, settings.resolve_secret()) as svc:
        assert len(svc.sockets) == 0
        started = loop.time()
    assert loop.time() - started < svc.sockets.grace


@pytest.mark.parametrize(
    ("backend", "batches"), [("sqlite", 2), pytest.param("postgres", 1, marks=pytest.mark.postgres)], ids=str
)
async def test_runtime_gathers_message_batches_on_postgresql_only(
    backend: str, batches: int, tmp_path: Path, migrated_template: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "postgres":
        settings = make_settings(tmp_path, database_url=request.getfixturevalue("postgres_url"), write_batch_wait_ms=50)
    else:
        shutil.copy(migrated_template, tmp_path / "bridgeway.db")
        settings = make_settings(tmp_path, write_batch_wait_ms=50)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    room_id = _room(settings, seed_demo(engine, settings).session_id)
    engine.dispose()
    async with running(settings, settings.resolve_secret()) as svc:
        first = asyncio.create_task(svc.writer.write(Message(room_id=room_id, kind=MessageKind.SYSTEM, text="a")))
        await asyncio.sleep(0.005)  # the writer has taken the first: on PostgreSQL it waits for more
        second = await svc.writer.write(Message(room_id=room_id, kind=MessageKind.SYSTEM, text="b"))
        assert (await first).message.seq == 1
        assert second.message.seq == 2
        assert svc.writer.batches == batches
