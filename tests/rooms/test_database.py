"""The database's worker-thread calls at shutdown: a call cancelled mid-query must not leak its connection."""

from __future__ import annotations

import asyncio
import threading
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


async def test_a_deadlock_victim_runs_again_and_both_transactions_commit(postgres_url: str) -> None:
    """Two transactions lock two rows in opposite orders (a Leave racing a re-pairing in another process did this in
    CI): PostgreSQL aborts one as the deadlock victim, and ``run`` must run it again instead of failing the request."""
    db = Database(make_engine(postgres_url))
    with db.session() as session:
        session.exec(text("CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL)"))  # type: ignore[call-overload]
        session.exec(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))  # type: ignore[call-overload]
        session.commit()
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts: list[int] = []

    def bump(session: Session, first: int, second: int) -> int:
        attempts.append(first)
        session.exec(text("UPDATE pair SET n = n + 1 WHERE id = :i").bindparams(i=first))  # type: ignore[call-overload]
        if attempts.count(first) == 1:  # the first attempt meets the other transaction; a retry runs through
            both_hold_one.wait()
        session.exec(text("UPDATE pair SET n = n + 1 WHERE id = :i").bindparams(i=second))  # type: ignore[call-overload]
        session.commit()
        return first

    try:
        assert sorted(await asyncio.gather(db.run(bump, 1, 2), db.run(bump, 2, 1))) == [1, 2]
        assert len(attempts) == 3  # one of the two was the victim and ran twice
        with db.session() as session:
            counts = session.exec(text("SELECT n FROM pair ORDER BY id")).all()  # type: ignore[call-overload]
        assert [n for (n,) in counts] == [2, 2]  # the victim's first attempt left nothing behind
    finally:
        await db.aclose()
