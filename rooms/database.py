"""A SQLAlchemy engine plus a bounded thread pool, so ORM work never blocks the event loop."""

from __future__ import annotations

import threading
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
        self._busy = 0  # calls submitted and not yet finished in their thread
        self._idle = threading.Condition()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` in a worker thread with a fresh session."""

        state = {"started": False, "dropped": False}

        def call() -> T:
            with self._idle:
                if state["dropped"]:  # its caller gave up before the thread picked it up
                    raise anyio.get_cancelled_exc_class()
                state["started"] = True
            try:
                with self.session() as session:
                    return fn(session, *args)
            finally:
                self._done()

        with self._idle:
            self._busy += 1
        try:
            return await anyio.to_thread.run_sync(call, limiter=self._limiter)
        except BaseException:
            with self._idle:
                gave_up_first = not state["started"] and not state["dropped"]
                state["dropped"] = True
            if gave_up_first:
                self._done()
            raise

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()

    async def aclose(self, wait_seconds: float = 10.0) -> None:
        """Dispose of the engine once calls still running in threads are done.

        A task cancelled at shutdown leaves its thread running with a checked-out connection; disposing under it
        would orphan that connection (returned to the discarded pool, never closed: a leaked server connection).
        """

        def wait_idle() -> None:
            with self._idle:
                self._idle.wait_for(lambda: self._busy == 0, wait_seconds)

        await anyio.to_thread.run_sync(wait_idle)
        self.dispose()
