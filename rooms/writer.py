"""Batched message writes: one transaction per batch in a worker thread, each caller awaits its own commit."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError
from sqlmodel import Session, select

from rooms import _sqlite
from rooms.database import Database
from rooms.models import Message, MessageData, number_messages

log = logging.getLogger(__name__)
_TABLE: Table = Message.__table__  # type: ignore[attr-defined]
_COLUMNS = tuple(column.name for column in _TABLE.columns if column.name != "id")
_VALUES = attrgetter(*_COLUMNS)
# One multi-row INSERT ... RETURNING per batch: several times cheaper than the ORM unit of work, and the
# writer thread holds the GIL for less of the event loop's time.
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
_INSERT_SQLITE = _sqlite.Insert(_TABLE, _COLUMNS)  # on the sqlite3 connection: ~3 instead of ~25 µs a row


class WriteFailed(Exception):
    """The database did not take the batch; nothing was acknowledged."""


@dataclass(slots=True)
class Written:
    message: MessageData  # the row written, or the stored `Message` a retry found or the fallback wrote
    duplicate: bool  # the same (participant, client id) was stored earlier: a retry


OnCommit = Callable[["Written"], None]
_Item = tuple[MessageData, "asyncio.Future[Written]", "OnCommit | None"]
T = TypeVar("T")
_Job = tuple[Callable[[], Any], "asyncio.Future[Any]", asyncio.AbstractEventLoop]


class _Thread:
    """One thread that runs calls in order and resolves an asyncio future per call.

    Leaner than `run_in_executor` on a one-thread executor (no concurrent future, work item or idle semaphore):
    a hop cost 12 instead of 29 µs of process CPU, and at light load every message makes one.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    async def run(self, function: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((function, future, loop))
        return await future

    def shutdown(self) -> None:
        """The thread ends after the calls already queued (it is not waited for)."""
        self._jobs.put(None)

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            function, future, loop = job
            try:
                outcome: tuple[Callable[..., None], object] = (_resolve, function())
            except BaseException as exc:  # handed to the awaiting task, like an executor would
                outcome = (_fail, exc)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
                loop.call_soon_threadsafe(outcome[0], future, outcome[1])


def _resolve(future: asyncio.Future[Any], result: object) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class BatchWriter:
    """Commit messages in batches so the event loop never waits on a commit per message.

    While one batch commits, the next one accumulates, so batches grow with the load. Batches commit one at a time
    in the writer's own thread, on a connection it keeps: at light load a batch is one or two messages, and a lean
    hop to that thread (`_Thread`: 12 µs of CPU, `run_in_executor` 29) and a kept connection (no pool check-out
    and check-in, about 50 µs) matter.
    """

    def __init__(self, db: Database, max_batch: int = 500, *, gather: float = 0.0, gather_rows: int = 32) -> None:
        self._db = db
        self._max_batch = max_batch
        # Group commit: a batch the writer was idle for waits up to ``gather`` seconds, or until ``gather_rows``
        # messages are queued, before it commits (the acks still come after COMMIT). 0: commit at once.
        self._gather = gather
        self._gather_rows = max(1, min(gather_rows, max_batch))
        self._gathering: asyncio.Future[None] | None = None
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._thread: _Thread | None = None
        self._conn: Connection | None = None  # used in the writer's thread only
        self._inserted = False  # the current batch's INSERT was sent (the writer's thread only)
        self.batches = 0
        self.rows = 0

    def start(self) -> None:
        self._thread = _Thread("message-writer")
        self._task = asyncio.create_task(self._run(self._thread), name="message-writer")

    async def stop(self) -> None:
        """Flush what is queued, then stop (graceful shutdown loses no accepted message)."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        if self._gathering is not None and not self._gathering.done():
            self._gathering.set_result(None)  # no more to wait for: flush now
        try:
            await asyncio.wait_for(self._task, timeout=30)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        if self._thread is not None:
            # Closed in its thread before the engine is disposed; a commit stuck on an unreachable database is not
            # waited for long.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._thread.run(self._close_connection), timeout=10)
            self._thread.shutdown()
            self._thread = None

    async def write(self, message: MessageData, on_commit: OnCommit | None = None) -> Written:
        """Store ``message``; ``on_commit`` runs in the writer's task once it is stored (or found stored).

        The hook runs even when the caller was cancelled meanwhile (its socket dropped): what happens after a
        commit, such as delivering the message, must not depend on the sender still being there.
        """
        future: asyncio.Future[Written] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((message, future, on_commit))
        gathering = self._gathering
        if gathering is not None and self._queue.qsize() + 1 >= self._gather_rows and not gathering.done():
            gathering.set_result(None)  # enough rows: commit now rather than at the end of the window
        return await future

    async def _run(self, thread: _Thread) -> None:
        stopping = False
        loop = asyncio.get_running_loop()
        while not stopping:
            idle = self._queue.empty()
            first = await self._queue.get()
            batch = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
                if idle and self._gather > 0:
                    await self._gather_more(loop)
            while len(batch) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            live = [item for item in batch if not item[1].cancelled()]  # cancelled before the commit: not stored
            if not live:
                continue
            try:
                results = await thread.run(functools.partial(self._commit, [m for m, _, _ in live]))
            except Exception as exc:
                log.warning("message batch of %d not written: %s", len(live), exc)
                for _, future, _ in live:
                    if not future.done():
                        future.set_exception(WriteFailed(str(exc)))
                continue
            self.batches += 1
            self.rows += len(live)
            for (_, future, on_commit), result in zip(live, results, strict=True):
                if isinstance(result, WriteFailed):
                    if not future.done():
                        future.set_exception(result)
                    continue
                if not future.done():
                    future.set_result(result)  # first, so the sender's ack is queued before the fan-out
                if on_commit is not None:
                    try:
                        on_commit(result)
                    except Exception:
                        log.exception("after-commit hook failed for message %s", result.message.id)

    async def _gather_more(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the batch the writer was idle for grow for up to ``gather`` seconds, or to ``gather_rows`` messages.

        Only when the writer was idle: a batch that queued up during the previous commit has waited already. At
        light load each PostgreSQL batch costs four round trips and a commit whatever its size, and a process
        commits once per message without this (docs/performance.md, "Group commit").
        """
        if self._queue.qsize() + 1 >= self._gather_rows:
            return
        gathering = loop.create_future()
        self._gathering = gathering
        timer = loop.call_later(self._gather, _resolve, gathering, None)
        try:
            await gathering
        finally:
            timer.cancel()
            self._gathering = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.invalidated or self._conn.closed:
            self._close_connection()
            self._conn = self._db.engine.connect()
        return self._conn

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _commit(self, messages: list[MessageData]) -> list[Written | WriteFailed]:
        positions = [m.seq for m in messages]
        self._inserted = False
        try:
            return self._commit_batch(messages)
        except DBAPIError as exc:
            if not exc.connection_invalidated or self._inserted:
                # Lost during the INSERT or the COMMIT, the rows may be stored: the batch fails (nothing acked),
                # and senders retry with their client ids, which find what was stored. A blind retry could store
                # a message without a client id twice.
                raise
        # The kept connection was lost (the database restarted): once more on a new one, as the pool's pre-ping
        # would have done, with the positions the rolled-back attempt gave back.
        for message, seq in zip(messages, positions, strict=True):
            message.seq = seq
        return self._commit_batch(messages)

    def _commit_batch(self, messages: list[MessageData]) -> list[Written | WriteFailed]:
        try:
            conn = self._connection()
            with conn.begin():
                number_messages(conn, messages)
                self._inserted = True  # from here on, the database may have the rows
                ids = _insert(conn, messages)
        except (IntegrityError, DataError, StatementError) as exc:
            if isinstance(exc, OperationalError):
                raise  # the database is unreachable: the whole batch fails and nothing is acknowledged
            if not isinstance(exc, IntegrityError | DataError):
                self._close_connection()  # not the rows' fault: the next batch starts on a new connection
        else:
            for message, message_id in zip(messages, ids, strict=True):
                message.id = message_id
            return [Written(m, False) for m in messages]
        # A retried client id collided inside the batch, or one row is bad: fall back to one row at a time,
        # so one bad message fails alone instead of failing everyone's.
        # The positions claimed were rolled back with the batch: each row claims its own again.
        return [self._commit_one_safely(_orm(m)) for m in messages]

    def _commit_one_safely(self, message: Message) -> Written | WriteFailed:
        try:
            return self._commit_one(message)
        except OperationalError:
            raise
        except Exception as exc:
            log.warning("message from participant %s not written: %s", message.participant_id, type(exc).__name__)
            return WriteFailed(type(exc).__name__)

    def _commit_one(self, message: Message) -> Written:
        with self._db.session() as session:
            session.add(message)
            try:
                session.commit()
                return Written(message, False)
            except IntegrityError:
                session.rollback()
            existing = _find_existing(session, message)
            if existing is None:
                raise WriteFailed("integrity error")
            return Written(existing, True)


def _insert(conn: Connection, messages: list[MessageData]) -> Sequence[int]:
    """The rows' new ids, in order."""
    if conn.dialect.name == "sqlite":
        return _INSERT_SQLITE(conn, [_VALUES(m) for m in messages])
    return conn.execute(_INSERT, [dict(zip(_COLUMNS, _VALUES(m), strict=True)) for m in messages]).scalars().all()


def _orm(message: MessageData) -> Message:
    """A new ORM `Message` for the one-row fallback, without the position the rolled-back batch gave it."""
    fields = dict(zip(_COLUMNS, _VALUES(message), strict=True))
    fields.pop("seq")
    return Message.model_validate(fields)


def _find_existing(session: Session, message: Message) -> Message | None:
    return session.exec(
        select(Message).where(
            Message.participant_id == message.participant_id, Message.client_msg_id == message.client_msg_id
        )
    ).first()
