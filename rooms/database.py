"""A SQLAlchemy engine plus a bounded thread pool, so ORM work never blocks the event loop."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

T = TypeVar("T")

# PostgreSQL aborts one of two transactions that wait on each other (deadlock_detected) or that cannot both be
# serialised; its documentation's answer is to run the aborted one again, which is safe since it was rolled back.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 4


def retryable(exc: BaseException) -> bool:
    """A transaction PostgreSQL aborted only because of another one (deadlock, serialisation failure)."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRIED_SQLSTATES


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
        """Run ``fn(session, *args)`` in a worker thread with a fresh session.

        A transaction PostgreSQL aborts as a deadlock victim (or a serialisation failure) runs again with a fresh
        session, up to ``ATTEMPTS`` times: two processes (or threads) updating a student's participant row and
        seat in different orders, e.g. a Leave racing a re-pairing, must not fail the student's request.
        """

        state = {"started": False, "dropped": False}

        def call() -> T:
            with self._idle:
                if state["dropped"]:  # its caller gave up before the thread picked it up
                    raise anyio.get_cancelled_exc_class()
                state["started"] = True
            try:
                for attempt in range(1, ATTEMPTS + 1):
                    try:
                        with self.session() as session:
                            return fn(session, *args)
                    except DBAPIError as exc:
                        if attempt == ATTEMPTS or not retryable(exc):
                            raise
                    time.sleep(random.uniform(0.005, 0.05) * attempt)  # apart, so the two do not meet again
                raise AssertionError("unreachable")
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
