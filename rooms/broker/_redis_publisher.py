"""One Redis connection that publishes for the whole process: a bounded queue drained as pipelines."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from rooms.broker.base import BrokerUnavailable

log = logging.getLogger(__name__)

_Item = tuple[str, str, "asyncio.Future[None]"]


class RedisPublisher:
    """Publishes in call order on one connection; the client's ``Retry`` re-sends a pipeline that hit a
    connection error (reconnecting first), so a caller only sees BrokerUnavailable once those retries are spent.

    redis-py's asyncio pool opens a connection per concurrent command and raises "Too many connections" past its
    cap (100 by default), which under load turned into deliveries lost to other processes. Here every ``publish``
    joins one FIFO queue; a single writer task sends whatever has queued up as one pipeline and wakes each caller
    with the outcome. A full queue makes ``publish`` wait (back-pressure), never fail. It costs 2.5-4x less CPU per
    publish than a bounded blocking pool (docs/performance.md, "Two processes under load").

    A re-sent pipeline can publish a message twice if the first attempt reached Redis before the connection
    broke; receivers de-duplicate (the hub delivers each message id once per process).
    """

    def __init__(self, client: aioredis.Redis, *, max_pending: int = 4096, max_batch: int = 512) -> None:
        self.client = client
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=max_pending)
        self._writer: asyncio.Task[None] | None = None

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
        """Publish the batch as one pipeline; return None on success or why it failed."""
        try:
            pipe = self.client.pipeline(transaction=False)
            for channel, payload, _ in batch:
                pipe.publish(channel, payload)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("redis publish of %d messages failed after retries: %s", len(batch), exc)
            return str(exc) or type(exc).__name__
        except Exception as exc:
            # uvloop raises RuntimeError ("unable to perform operation on <TCPTransport closed=True>") where asyncio
            # raises ConnectionError, and redis-py does not retry it: without this the writer task died and every
            # later publish of the process failed as "broker not started" (issue 14). Drop the broken connection.
            log.warning("redis publish of %d messages failed: %r; reconnecting", len(batch), exc)
            with contextlib.suppress(Exception):
                await self.client.connection_pool.disconnect()
            return str(exc) or type(exc).__name__
        return None
