"""The database's worker-thread calls at shutdown: a call cancelled mid-query must not leak its connection."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.db import make_engine
from rooms.database import Database

pytestmark = pytest.mark.postgres


def _sessions_that_ran(admin_url: str, marker: str) -> int:
    admin = make_engine(admin_url)
    try:
        with admin.connect() as conn:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE :m AND pid <> pg_backend_pid()")
            return int(conn.execute(query, {"m": f"%{marker}%"}).scalar_one())
    finally:
        admin.dispose()


async def test_close_waits_for_a_cancelled_call_and_closes_its_connection(postgres_url: str) -> None:
    """The scheduler is cancelled at shutdown while its query runs in a thread (a leak found in CI)."""
    marker = f"m{uuid.uuid4().hex}"
    db = Database(make_engine(postgres_url))
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow(session: Session) -> Any:
        loop.call_soon_threadsafe(started.set)
        return session.exec(text(f"SELECT pg_sleep(0.5), '{marker}'")).all()  # type: ignore[call-overload]

    call = asyncio.create_task(db.run(slow))
    await started.wait()
    call.cancel()
    await db.aclose()
    assert _sessions_that_ran(postgres_url, marker) == 0


async def test_close_does_not_wait_for_calls_that_never_started(postgres_url: str) -> None:
    db = Database(make_engine(postgres_url), threads=1)
    blocker = asyncio.create_task(db.run(lambda s: s.exec(text("SELECT pg_sleep(0.3)")).all()))  # type: ignore[call-overload]
    queued = asyncio.create_task(db.run(lambda s: s.exec(text("SELECT 1")).all()))  # type: ignore[call-overload]
    await asyncio.sleep(0.05)
    queued.cancel()
    await asyncio.gather(blocker, queued, return_exceptions=True)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await db.aclose(wait_seconds=5.0)
    assert loop.time() - started < 1.0
