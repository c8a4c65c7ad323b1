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

_Item = tuple[str, str, "asyncio.Future[None]"]
REPLY_TIMEOUT = 5.0  # seconds a pipeline waits for Redis's replies before the connection is given up
_BACKOFF = (0.05, 0.1, 0.1)  # seconds before each re-send of a failed pipeline (then more of the last)


@dataclass(slots=True)
class _Pending:
    due: int  # replies still to come
    done: asyncio.Future[None]
    error: ReplyError | None = None


class _Link:
    """One connection: pipelines written as packed commands, their replies counted as hiredis parses them."""

    def __init__(self) -> None:
        self.protocol: RedisSubscriber | None = None
        self._waiting: deque[_Pending] = deque()

    async def open(self, url: str) -> None:
        self.protocol = await connect(url, self._on_reply)
        self.protocol.lost.add_done_callback(self._lost)
        # AUTH, sent by ``connect`` when the URL has a password, is answered first; then a PING says it is usable.
        await self.send([hiredis.pack_command(("PING",))], also=1 if urlparse(url).password else 0)

    async def send(self, packed: list[bytes], also: int = 0) -> None:
        """Write the commands and return once Redis has answered each (and ``also`` earlier ones); raise if any
        answer was an error."""
        protocol = self.protocol
        if protocol is None:
            raise ConnectionError("redis publisher connection is not open")
        pending = _Pending(len(packed) + also, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        protocol.write(b"".join(packed))
        async with asyncio.timeout(REPLY_TIMEOUT):
            await pending.done

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
        while self._waiting:
            done = self._waiting.popleft().done
            if not done.done():
                done.set_exception(ConnectionError("redis publisher connection lost"))

    def close(self) -> None:
        if self.protocol is not None:
            self.protocol.close()
            self.protocol = None


class RedisPublisher:
    """Publishes in call order on one connection; a pipeline that meets a connection error is re-sent (reconnecting
    first) up to ``retries`` times, so a caller only sees BrokerUnavailable once those retries are spent.

    redis-py's asyncio pool opens a connection per concurrent command and raises "Too many connections" past its
    cap (100 by default), which under load turned into deliveries lost to other processes. Here every ``publish``
    joins one FIFO queue; a single writer task sends whatever has queued up as one pipeline and wakes each caller
    with the outcome. A full queue makes ``publish`` wait (back-pressure), never fail. It costs 2.5-4x less CPU per
    publish than a bounded blocking pool (docs/performance.md, "Two processes under load"). The pipeline is packed
    by hiredis and its replies are counted in the connection's ``data_received`` (``_Link``): redis-py's
    ``Pipeline`` cost 30-37 µs a publish in batches of four, this about 10.

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

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_forever(), name="redis-broker-publisher")

    async def stop(self, flush_timeout: float = 2.0) -> None:
        """Send what is queued (for up to ``flush_timeout`` seconds), then fail whatever is left."""
        if self._writer is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout):
                await self._queue.join()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # stopping never fails on how the writer ended
            await self._writer
        self._writer = None
        self._drop_link()
        while not self._queue.empty():
            _, _, done = self._queue.get_nowait()
            if not done.done():
                done.set_exception(BrokerUnavailable("broker stopped"))

    async def publish(self, channel: str, payload: str) -> None:
        """Queue one PUBLISH (waiting while the queue is full) and return once Redis has taken it."""
        if self._writer is None or self._writer.done():
            raise BrokerUnavailable("broker not started")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((channel, payload, done))
        await done

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Whatever queued up while the previous pipeline was in flight goes out together.
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            error: str | None = "broker stopped"
            try:
                error = await self._send(batch)
            finally:  # also when stop() cancels us mid-pipeline: no caller is left waiting
                for _, _, done in batch:
                    if not done.done():  # a caller that was cancelled still had its message published
                        if error is None:
                            done.set_result(None)
                        else:
                            done.set_exception(BrokerUnavailable(error))
                    self._queue.task_done()

    async def _send(self, batch: list[_Item]) -> str | None:
        """Publish the batch as one pipeline; return None on success or why it failed (after the retries)."""
        packed = [hiredis.pack_command(("PUBLISH", channel, payload)) for channel, payload, _ in batch]  # type: ignore[arg-type]
        for attempt in range(self._retries + 1):
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
