"""A SQLAlchemy engine plus a bounded thread pool, so ORM work never blocks the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import Engine, text
from sqlmodel import Session

T = TypeVar("T")


class Database:
    """Sync SQLAlchemy run in worker threads: one code path for SQLite and PostgreSQL, and Alembic stays sync."""

    def __init__(self, engine: Engine, threads: int = 8) -> None:
        self.engine = engine
        self._limiter = anyio.CapacityLimiter(threads)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` in a worker thread with a fresh session."""

        def call() -> T:
            with self.session() as session:
                return fn(session, *args)

        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
