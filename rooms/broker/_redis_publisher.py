"""One Redis connection that publishes for the whole process: a bounded queue drained as pipelines."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlparse

import hiredis

from rooms.broker._redis_subscriber import RedisSubscriber, Reply, ReplyError, connect
from rooms.broker.base import BrokerUnavailable

log = logging.getLogger(__name__)

_Item = tuple[str, str, "asyncio.Future[None] | None"]  # no future: sent directly by its caller
REPLY_TIMEOUT = 5.0  # seconds a pipeline waits for Redis's replies before the connection is given up
_BACKOFF = (0.05, 0.1, 0.1)  # seconds before each re-send of a failed pipeline (then more of the last)


@dataclass(slots=True)
class _Pending:
    due: int  # replies still to come
    done: asyncio.Future[None]
    sent_at: float  # loop time of the write
    error: ReplyError | None = None


class _Link:
    """One connection: pipelines written as packed commands, their replies counted as hiredis parses them.

    A pipeline unanswered for ``REPLY_TIMEOUT`` fails with TimeoutError and the connection is given up. One watchdog
    timer a link checks the oldest pipeline every fifth of that, instead of a timeout per pipeline: at light load
    each publish is a pipeline, and arming and cancelling its timer cost about as much as the rest of the publish.
    """

    def __init__(self) -> None:
        self.protocol: RedisSubscriber | None = None
        self._waiting: deque[_Pending] = deque()
        self._watchdog: asyncio.TimerHandle | None = None

    async def open(self, url: str) -> None:
        self.protocol = await connect(url, self._on_reply)
        self.protocol.lost.add_done_callback(self._lost)
        self._watch()
        # AUTH, sent by ``connect`` when the URL has a password, is answered first; then a PING says it is usable.
        await self.send([hiredis.pack_command(("PING",))], also=1 if urlparse(url).password else 0)

    async def send(self, packed: list[bytes], also: int = 0) -> None:
        """Write the commands and return once Redis has answered each (and ``also`` earlier ones); raise if any
        answer was an error."""
        protocol = self.protocol
        if protocol is None:
            raise ConnectionError("redis publisher connection is not open")
        loop = asyncio.get_running_loop()
        pending = _Pending(len(packed) + also, loop.create_future(), loop.time())
        self._waiting.append(pending)
        protocol.write(b"".join(packed))
        await pending.done

    def _watch(self) -> None:
        self._watchdog = asyncio.get_running_loop().call_later(REPLY_TIMEOUT / 5, self._check)

    def _check(self) -> None:
        self._watchdog = None
        if self.protocol is None:
            return
        if self._waiting and asyncio.get_running_loop().time() - self._waiting[0].sent_at >= REPLY_TIMEOUT:
            self._fail(TimeoutError("redis did not answer the publish in time"))
            self.close()
            return
        self._watch()

    def _on_reply(self, reply: Reply) -> None:
        if not self._waiting:
            return  # nothing asked: cannot happen on a connection only this link writes to
        head = self._waiting[0]
        if isinstance(reply, ReplyError) and head.error is None:
            head.error = reply
        head.due -= 1
        if head.due == 0:
            self._waiting.popleft()
            if not head.done.done():
                if head.error is not None:
                    head.done.set_exception(head.error)
                else:
                    head.done.set_result(None)

    def _lost(self, _: object) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._fail(ConnectionError("redis publisher connection lost"))

    def _fail(self, error: Exception) -> None:
        while self._waiting:
            done = self._waiting.popleft().done
            if not done.done():
                done.set_exception(error)

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.protocol is not None:
            self.protocol.close()
            self.protocol = None


class RedisPublisher:
    """Publishes in call order on one connection; a pipeline that meets a connection error is re-sent (reconnecting
    first) up to ``retries`` times, so a caller only sees BrokerUnavailable once those retries are spent.

    redis-py's asyncio pool opens a connection per concurrent command and raises "Too many connections" past its
    cap (100 by default), which under load turned into deliveries lost to other processes. Here a ``publish`` made
    while others are in flight joins one FIFO queue; a single writer task sends whatever has queued up as one
    pipeline and wakes each caller with the outcome. A full queue makes ``publish`` wait (back-pressure), never
    fail. It costs 2.5-4x less CPU per publish than a bounded blocking pool (docs/performance.md, "Two processes
    under load"). The pipeline is packed by hiredis and its replies are counted in the connection's
    ``data_received`` (``_Link``): redis-py's ``Pipeline`` cost 30-37 µs a publish in batches of four, this about 10.

    When nothing is queued or in flight, ``publish`` sends its command itself (``_send_now``) instead of waking
    the writer task, and a link's replies are timed by one watchdog instead of a timeout a pipeline: at light load
    each publish is alone, and those hops and timers were about a fifth of its CPU, its echo included
    (docs/performance.md, "Two processes at light load"). Calls made meanwhile queue behind it: call order is kept.

    A re-sent pipeline can publish a message twice if the first attempt reached Redis before the connection
    broke; receivers de-duplicate (the hub delivers each message id once per process).
    """

    def __init__(self, url: str, *, retries: int = 3, max_pending: int = 4096, max_batch: int = 512) -> None:
        self._url = url
        self._retries = retries
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=max_pending)
        self._writer: asyncio.Task[None] | None = None
        self._link: _Link | None = None
        self._queued = 0  # publishes in the queue or in the writer's hands: a direct send must not overtake them
        self._direct_done: asyncio.Event = asyncio.Event()  # cleared while a direct send is in flight
        self._direct_done.set()
        self._finishing: asyncio.Task[None] | None = None  # a direct send whose caller was cancelled

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_forever(), name="redis-broker-publisher")

    async def stop(self, flush_timeout: float = 2.0) -> None:
        """Send what is queued (for up to ``flush_timeout`` seconds), then fail whatever is left."""
        if self._writer is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout):
                await self._queue.join()
                await self._direct_done.wait()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # stopping never fails on how the writer ended
            await self._writer
        self._writer = None
        self._drop_link()
        while not self._queue.empty():
            _, _, done = self._queue.get_nowait()
            if done is not None and not done.done():
                done.set_exception(BrokerUnavailable("broker stopped"))

    async def publish(self, channel: str, payload: str) -> None:
        """Send one PUBLISH (queued behind those in flight; waiting while the queue is full) and return once Redis has
        taken it."""
        if self._writer is None or self._writer.done():
            raise BrokerUnavailable("broker not started")
        if self._queued == 0 and self._direct_done.is_set():
            await self._send_now(channel, payload)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued += 1
        try:
            await self._queue.put((channel, payload, done))
        except BaseException:  # cancelled while the queue was full: never queued
            self._queued -= 1
            raise
        await done

    async def _send_now(self, channel: str, payload: str) -> None:
        """Publish alone from the caller's task, with the writer's retries; later calls queue meanwhile."""
        self._direct_done.clear()
        batch: list[_Item] = [(channel, payload, None)]
        try:
            error = await self._send(batch)
        except asyncio.CancelledError:
            # The caller gave up, not its publish (a queued one is sent all the same): a task finishes it, still
            # ahead of the queue. Cancelled after its write, it is sent twice: receivers de-duplicate.
            self._finishing = asyncio.create_task(self._finish(batch), name="redis-broker-publish-finish")
            raise
        except BaseException:
            self._direct_done.set()
            raise
        self._direct_done.set()
        if error is not None:
            raise BrokerUnavailable(error)

    async def _finish(self, batch: list[_Item]) -> None:
        try:
            await self._send(batch)
        finally:
            self._direct_done.set()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            error: str | None = "broker stopped"
            try:
                await self._direct_done.wait()  # a publish sent directly goes first: it was called first
                # Whatever queued up while the previous pipeline was in flight goes out together.
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                error = await self._send(batch)
            finally:  # also when stop() cancels us mid-pipeline or while a direct send is in flight: no caller waits
                for _, _, done in batch:
                    if done is not None and not done.done():  # a cancelled caller still had its message published
                        if error is None:
                            done.set_result(None)
                        else:
                            done.set_exception(BrokerUnavailable(error))
                    self._queue.task_done()
                self._queued -= len(batch)

    async def _send(self, batch: list[_Item]) -> str | None:
        """Publish the batch as one pipeline; return None on success or why it failed (after the retries)."""
        packed = [hiredis.pack_command(("PUBLISH", channel, payload)) for channel, payload, _ in batch]  # type: ignore[arg-type]
        for attempt in range(self._retries + 1):
            if self._writer is None:
                return "broker stopped"  # a direct send (or its finishing task) after stop(), which drops the link
            try:
                if self._link is None:
                    link = _Link()
                    self._link = link
                    await link.open(self._url)
                await self._link.send(packed)
                return None
            except Exception as exc:
                # A connection error, a timeout, an error reply, or uvloop's RuntimeError ("unable to perform operation
                # on <TCPTransport closed=True>") where asyncio raises ConnectionError: before issue 14 that one killed
                # the writer task and every later publish of the process failed. The link is made again.
                self._drop_link()
                if attempt == self._retries:
                    log.warning("redis publish of %d messages failed after retries: %r", len(batch), exc)
                    return str(exc) or type(exc).__name__
                await asyncio.sleep(_BACKOFF[min(attempt, len(_BACKOFF) - 1)])
        return "no attempt made"

    def _drop_link(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
