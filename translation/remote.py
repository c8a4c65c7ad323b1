"""The chat server's side of `bridgeway translation-worker`s: jobs out through a Redis Stream, answers back."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from concurrent.futures import Future
from typing import Any

from translation.base import LanguagePair, PairUnavailable, TranslationBusy, TranslationError, route
from translation.streams import GROUP, JOBS, REPLIES, WORKERS, Job, Reply, jobs_min_id, live_adverts

logger = logging.getLogger(__name__)

_SEND_BATCH = 256
_READ_BATCH = 512
_BLOCK_SECONDS = 0.5  # a blocking read returns this often, so closing never waits long


class RedisTranslationQueue:
    """Send translation jobs to worker processes and resolve each job's Future from this process's reply stream.

    Also the server's `Catalogue`: the pairs and model version are those the live workers advertise (re-read every
    `refresh` seconds), so a district adds a worker with a new language pack without restarting chat servers.
    At most `max_queue` jobs of this process wait for an answer (`submit` raises TranslationBusy beyond that); a
    job's deadline travels with it, so workers skip what nobody waits for any more. An answer that arrives twice
    (a worker that died after answering but before acknowledging) resolves nothing the second time.
    """

    def __init__(self, url: str, *, max_queue: int = 128, refresh: float = 2.0) -> None:
        if max_queue < 1 or refresh <= 0:
            raise ValueError("max_queue must be >= 1 and refresh > 0")
        self.url = url
        self.reply_to = REPLIES + uuid.uuid4().hex
        self._max_queue = max_queue
        self._refresh = refresh
        self._jobs: dict[str, Future[str]] = {}
        self._outbox: asyncio.Queue[Job | None] = asyncio.Queue()  # None: stop
        self._stop = asyncio.Event()
        self._pairs: frozenset[LanguagePair] = frozenset()
        self._version = "workers-none"
        self._workers = 0
        self._redis: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.stale_answers = 0  # answers to jobs already answered or given up on (duplicates, or too late)

    # -- Catalogue -----------------------------------------------------------------------------------------

    @property
    def model_version(self) -> str:
        """The workers' model version (a digest of them all when they differ)."""
        return self._version

    def available_pairs(self) -> set[LanguagePair]:
        """The pairs some live worker serves directly."""
        return set(self._pairs)

    def can_translate(self, source: str, target: str) -> bool:
        """True when a live worker serves the pair, directly or through English."""
        return source == target or route(self._pairs, source, target) is not None

    @property
    def workers(self) -> int:
        """Live workers at the last refresh."""
        return self._workers

    # -- TranslationQueue ----------------------------------------------------------------------------------

    @property
    def max_queue(self) -> int:
        """The most jobs of this process unanswered at once."""
        return self._max_queue

    @property
    def pending(self) -> int:
        """Jobs sent (or about to be) and not yet answered."""
        return len(self._jobs)

    async def start(self) -> None:
        """Connect, create the consumer group if needed, learn the workers' pairs, start sending and reading."""
        import redis.asyncio as aioredis
        from redis.exceptions import ResponseError

        self._redis = aioredis.Redis.from_url(self.url, decode_responses=True)
        with contextlib.suppress(ResponseError):  # BUSYGROUP: a worker or another server created it
            await self._redis.xgroup_create(JOBS, GROUP, id="0", mkstream=True)
        await self._read_adverts()
        self._tasks = [
            asyncio.create_task(self._send_loop(), name="translation-send"),
            asyncio.create_task(self._reply_loop(), name="translation-replies"),
            asyncio.create_task(self._advert_loop(), name="translation-adverts"),
        ]

    def submit(self, text: str, source: str, target: str, deadline: float) -> Future[str]:
        """Queue one job for the workers; raises TranslationBusy when `max_queue` of ours are unanswered."""
        if self._closed or self._redis is None:
            raise RuntimeError("the translation queue is closed")
        if len(self._jobs) >= self._max_queue:
            raise TranslationBusy(f"{len(self._jobs)} translations pending")
        job = Job(uuid.uuid4().hex, self.reply_to, text, source, target, deadline)
        future: Future[str] = Future()
        self._jobs[job.id] = future
        future.add_done_callback(lambda _: self._jobs.pop(job.id, None))
        self._outbox.put_nowait(job)
        return future

    async def aclose(self) -> None:
        """Stop the loops, give up on unanswered jobs and delete this process's reply stream.

        The loops are asked to stop rather than cancelled: cancelling redis-py in the middle of a blocking read can
        leave the task hanging (redis/redis-py#2579). A loop still running after two blocking periods is cancelled.
        """
        self._closed = True
        self._stop.set()
        self._outbox.put_nowait(None)
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=2 * _BLOCK_SECONDS + 1)
            for task in stuck:
                task.cancel()
        for future in list(self._jobs.values()):
            future.cancel()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._redis.delete(self.reply_to), 2)
            await self._redis.aclose()
            self._redis = None

    # -- loops ---------------------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        """Everything queued since the last round goes out as one pipeline (one round trip, not one per job)."""
        from redis.exceptions import RedisError

        while True:
            queued = [await self._outbox.get()]
            while not self._outbox.empty() and len(queued) < _SEND_BATCH:
                queued.append(self._outbox.get_nowait())
            if None in queued:  # closing
                return
            jobs = [job for job in queued if job is not None and job.id in self._jobs]  # given up on: not sent
            if not jobs:
                continue
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    oldest = jobs_min_id(time.time())  # with no worker running, old jobs go instead of piling up
                    for job in jobs:
                        pipe.xadd(JOBS, job.fields(), minid=oldest, approximate=False)
                    await pipe.execute()
            except RedisError as exc:
                logger.warning("could not send %d translation jobs to Redis: %s", len(jobs), exc)
                for job in jobs:
                    self._resolve(Reply(job.id, error="failed"))

    async def _reply_loop(self) -> None:
        from redis.exceptions import RedisError

        last = "0"
        while not self._closed:
            try:
                block = int(_BLOCK_SECONDS * 1000)
                answer = await self._redis.xread({self.reply_to: last}, count=_READ_BATCH, block=block)
                ids = []
                for _stream, entries in answer:
                    for entry_id, fields in entries:
                        self._resolve(Reply.parse(fields))
                        ids.append(entry_id)
                        last = entry_id
                if ids:
                    await self._redis.xdel(self.reply_to, *ids)
            except RedisError as exc:
                logger.warning("reading translation replies failed: %s; retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)

    async def _advert_loop(self) -> None:
        from redis.exceptions import RedisError

        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._refresh)
                return
            try:
                await self._read_adverts()
            except RedisError as exc:
                logger.warning("reading translation worker adverts failed: %s", exc)

    async def _read_adverts(self) -> None:
        live, expired = live_adverts(await self._redis.hgetall(WORKERS))
        if expired:
            await self._redis.hdel(WORKERS, *expired)
        self._pairs = frozenset(pair for pairs, _ in live.values() for pair in pairs)
        versions = sorted({version for _, version in live.values()})
        if len(versions) == 1:
            self._version = versions[0]
        elif versions:
            self._version = "workers-" + hashlib.sha256("\n".join(versions).encode()).hexdigest()[:16]
        else:
            self._version = "workers-none"
        self._workers = len(live)

    def _resolve(self, reply: Reply) -> None:
        future = self._jobs.get(reply.job)
        if future is None or future.done():  # answered already, or given up on
            self.stale_answers += 1
            return
        if reply.text is not None:
            future.set_result(reply.text)
        elif reply.error == "unavailable":
            future.set_exception(PairUnavailable("no translation worker serves this pair"))
        else:
            future.set_exception(TranslationError(f"the translation worker failed ({reply.error})"))
