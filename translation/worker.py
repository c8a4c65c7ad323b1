"""`bridgeway translation-worker`: translate jobs from the Redis Stream in batches and answer each chat process."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translation.argos_batch import Decoding
from translation.base import LanguagePair, PairUnavailable, Translator, translate_each
from translation.streams import GROUP, JOBS, REPLY_MAXLEN, REPLY_TTL, WORKERS, Job, Reply, advert

logger = logging.getLogger(__name__)

_Entry = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker translates: model threads, decoding, device; its batching, claim period and CPU priority."""

    intra_threads: int = 1
    decoding: Decoding = field(default_factory=Decoding)
    device: str = "cpu"
    batch_wait: float = 0.01
    claim_idle: float = 5.0
    nice: int = 0


def serve(url: str, packages_dir: Path, consumer: str, options: WorkerOptions, say: Callable[[str], None]) -> None:
    """Run one worker process until SIGTERM or SIGINT (the batch in hand is answered first).

    It lowers its own CPU priority first (`options.nice`, like the server's translation threads), so on a machine
    shared with a chat server the chat goes first. Raises ImportError when argostranslate is not installed.
    """
    if options.nice > 0:
        os.nice(options.nice)
    worker = create_worker(url, packages_dir, consumer, options)
    pairs = ", ".join(f"{s}->{t}" for s, t in sorted(worker.translator.available_pairs()))
    say(f"translation worker {consumer}: serving {pairs or f'nothing: no language packs in {packages_dir}'}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.run(stop)


def create_worker(url: str, packages_dir: Path, consumer: str, options: WorkerOptions) -> TranslationWorker:
    """A worker over the Argos packages in `packages_dir`, fed from Redis at `url`.

    The models load here. Raises ImportError when argostranslate is not installed: a worker without models would
    only fail jobs.
    """
    import redis

    from translation.argos import ArgosTranslator

    decoding = options.decoding
    translator = ArgosTranslator(packages_dir, options.intra_threads, decoding=decoding, device=options.device)
    translator.load_models()
    client = redis.Redis.from_url(url, decode_responses=True)
    return TranslationWorker(
        client,
        translator,
        consumer=consumer,
        batch_size=decoding.max_batch_size,
        batch_wait=options.batch_wait,
        claim_idle=options.claim_idle,
    )


class TranslationWorker:
    """One consumer of the jobs stream's consumer group: reads up to `batch_size` jobs, translates them per pair
    in one model call each, then answers and acknowledges them in one MULTI/EXEC transaction.

    Answers and acknowledgement are atomic: a worker killed mid-batch has answered none of its jobs and they stay
    pending under its name; a live worker renews its claim while it translates, and every worker first claims jobs
    left idle longer than `claim_idle` seconds (XAUTOCLAIM), so another worker translates a dead worker's jobs and
    each answer is sent once. A job delivered more than `max_deliveries`
    times (a text that crashes the model, killing each worker in turn) is answered "failed" instead. Jobs past
    their deadline are acknowledged without translating: their chat server stopped waiting.
    """

    def __init__(
        self,
        client: Any,
        translator: Translator,
        *,
        consumer: str,
        batch_size: int = 32,
        batch_wait: float = 0.01,
        claim_idle: float = 5.0,
        block: float = 1.0,
        max_deliveries: int = 3,
    ) -> None:
        if batch_size < 1 or claim_idle <= 0 or block <= 0 or max_deliveries < 1:
            raise ValueError("batch_size and max_deliveries must be >= 1, claim_idle and block > 0")
        self.redis = client  # redis.Redis with decode_responses=True
        self.translator = translator
        self.consumer = consumer
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.claim_idle = claim_idle
        self.block = min(block, claim_idle / 2)  # idle workers look for abandoned jobs at least twice per claim_idle
        self.max_deliveries = max_deliveries
        self.translated = 0

    def run(self, stop: threading.Event) -> None:
        """Serve until `stop` is set (after the batch in hand), advertising this worker's pairs meanwhile."""
        from redis.exceptions import ResponseError

        try:
            self.redis.xgroup_create(JOBS, GROUP, id="0", mkstream=True)
        except ResponseError:  # BUSYGROUP: it exists
            pass
        advertise_at = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() >= advertise_at:
                    self.redis.hset(WORKERS, self.consumer, advert(self.translator.available_pairs(), self.version))
                    advertise_at = time.monotonic() + 5.0
                entries = self.claim() or self.read()
                if entries:
                    self.process(entries)
        finally:
            self.redis.hdel(WORKERS, self.consumer)
            if not self.redis.xpending_range(JOBS, GROUP, "-", "+", 1, consumername=self.consumer):
                self.redis.xgroup_delconsumer(JOBS, GROUP, self.consumer)  # nothing left under its name

    @property
    def version(self) -> str:
        return self.translator.model_version

    def claim(self) -> list[_Entry]:
        """Take over jobs another worker read but did not answer within `claim_idle` (it died or hangs)."""
        _, entries, _deleted = self.redis.xautoclaim(
            JOBS, GROUP, self.consumer, min_idle_time=int(self.claim_idle * 1000), start_id="0-0", count=self.batch_size
        )
        entries = [(entry_id, fields) for entry_id, fields in entries if fields]
        if entries:
            logger.warning("claimed %d translation jobs left by another worker", len(entries))
        return entries

    def read(self) -> list[_Entry]:
        """New jobs: block up to `block` s for the first, then wait `batch_wait` for more to share the model call."""
        entries = self._read_new(self.batch_size, int(self.block * 1000))
        if entries and len(entries) < self.batch_size and self.batch_wait > 0:
            time.sleep(self.batch_wait)
            entries += self._read_new(self.batch_size - len(entries), None)
        return entries

    def _read_new(self, count: int, block_ms: int | None) -> list[_Entry]:
        answer = self.redis.xreadgroup(GROUP, self.consumer, {JOBS: ">"}, count=count, block=block_ms)
        return [entry for _stream, entries in answer or [] for entry in entries]

    def process(self, entries: list[_Entry]) -> None:
        """Translate the entries' jobs (one model call per pair), then answer and acknowledge them atomically.

        While the batch is translated a thread keeps claiming it for this worker (XCLAIM ... JUSTID every third of
        `claim_idle`), so a batch slower than `claim_idle` is not taken over and translated twice.
        """
        done = threading.Event()
        keeper = threading.Thread(target=self._keep, args=([e for e, _ in entries], done), daemon=True)
        keeper.start()
        try:
            self._process(entries)
        finally:
            done.set()
            keeper.join()

    def _keep(self, ids: list[str], done: threading.Event) -> None:
        while not done.wait(self.claim_idle / 3):
            try:
                self.redis.xclaim(JOBS, GROUP, self.consumer, 0, ids, justid=True)
            except Exception:  # Redis trouble: the answer transaction will report it
                logger.warning("could not keep this worker's claim on its batch", exc_info=True)

    def _process(self, entries: list[_Entry]) -> None:
        redelivered = self._delivery_counts(entries)
        by_pair: dict[LanguagePair, list[Job]] = defaultdict(list)
        replies: list[tuple[Job, Reply]] = []
        now = time.time()
        for entry_id, fields in entries:
            job = Job.parse(fields)
            if redelivered.get(entry_id, 1) > self.max_deliveries:
                replies.append((job, Reply(job.id, error="failed")))
            elif job.deadline > now:
                by_pair[(job.source, job.target)].append(job)
        for pair, jobs in by_pair.items():
            replies += zip(jobs, self._translate(pair, jobs), strict=True)
        with self.redis.pipeline(transaction=True) as pipe:
            for job, reply in replies:
                pipe.xadd(job.reply_to, reply.fields(), maxlen=REPLY_MAXLEN, approximate=True)
                pipe.expire(job.reply_to, REPLY_TTL)
            ids = [entry_id for entry_id, _ in entries]
            pipe.xack(JOBS, GROUP, *ids)
            pipe.xdel(JOBS, *ids)
            pipe.execute()
        self.translated += sum(reply.text is not None for _, reply in replies)

    def _translate(self, pair: LanguagePair, jobs: list[Job]) -> list[Reply]:
        try:
            results = translate_each(self.translator, [job.text for job in jobs], *pair)
        except PairUnavailable:
            return [Reply(job.id, error="unavailable") for job in jobs]
        except Exception:
            logger.exception("translation %s->%s failed", *pair)
            return [Reply(job.id, error="failed") for job in jobs]
        return [
            Reply(job.id, error="failed") if isinstance(result, Exception) else Reply(job.id, text=result)
            for job, result in zip(jobs, results, strict=True)
        ]

    def _delivery_counts(self, entries: list[_Entry]) -> dict[str, int]:
        """How often each entry was delivered, when more than once (one XPENDING per batch)."""
        if not entries:
            return {}
        rows = self.redis.xpending_range(
            JOBS, GROUP, min=entries[0][0], max=entries[-1][0], count=len(entries), consumername=self.consumer
        )
        return {row["message_id"]: int(row["times_delivered"]) for row in rows if int(row["times_delivered"]) > 1}
