"""Micro-batching in this process: jobs from every room wait a few ms so one model call translates many of them."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from translation.base import (
    LanguagePair,
    TranslationBusy,
    TranslationError,
    TranslationTimeout,
    Translator,
    translate_each,
)

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Job:
    text: str
    pair: LanguagePair
    deadline: float
    future: Future[str] = field(default_factory=Future)
    queued_at: float = field(default_factory=time.monotonic)
    queued: bool = True  # still in its queue (guarded by the batcher's lock)


class MicroBatcher:
    """A bounded queue of translation jobs served by `workers` threads, each translating a batch per model call.

    A thread takes the language pair whose oldest job waited longest and collects up to `batch_size` jobs of that
    pair, waiting at most `batch_wait` seconds after the oldest arrived: under load batches fill at once, when
    quiet a message waits only `batch_wait`. CTranslate2 costs ~120 ms for one sentence but ~12 ms a sentence in
    batches of 32 (docs/performance.md), which is what lets one core keep up with a district event.

    `on_start` runs once in the first thread, after its priority is set (the server loads the models there).
    With `nice` > 0 the threads (and the CTranslate2 threads a model loaded in them starts) run at that lower CPU
    priority (Linux: per thread), so a server's event loop, delivering the originals, is never queued behind the
    model on a busy machine; translation then takes the CPU the chat leaves free.

    At most `max_queue` jobs are queued or running, and none is queued while the oldest queued job has waited more
    than `max_wait` seconds: `submit` raises TranslationBusy instead. The count bounds memory; the wait bounds the
    delay whatever the machine gives translation (a count alone would mean 1 s on an idle machine, 3 on a busy
    one), so a flood never builds a backlog that answers after everyone has moved on. A job cancelled or past its
    deadline before its batch starts is dropped without being translated.
    """

    def __init__(
        self, translator: Translator, *, workers: int = 1, max_queue: int = 128, batch_size: int = 32,
        batch_wait: float = 0.01, max_wait: float = 1.0, nice: int = 0, on_start: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        if workers < 1 or max_queue < 1 or batch_size < 1 or batch_wait < 0 or max_wait <= 0:
            raise ValueError("workers, max_queue and batch_size must be >= 1, batch_wait >= 0 and max_wait > 0")
        self.translator = translator
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self._max_queue = max_queue
        self._max_wait = max_wait
        self._workers = workers
        self._nice = nice
        self._on_start = on_start
        self._queues: dict[LanguagePair, deque[_Job]] = {}
        self._pending = 0
        self._closed = False
        self._ready = threading.Condition()
        self._threads: list[threading.Thread] = []
        self.batches = 0  # model calls made, for the benchmark's batch sizes
        self.translated = 0

    @property
    def max_queue(self) -> int:
        """The most jobs queued or running at once."""
        return self._max_queue

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        with self._ready:
            return self._pending

    def start(self) -> None:
        """Start the worker threads (idempotent; `submit` starts them too)."""
        with self._ready:
            if self._closed:
                raise RuntimeError("the translation queue is closed")
            if self._threads:
                return
            self._threads = [
                threading.Thread(target=self._run, name=f"translation-{n}", daemon=True) for n in range(self._workers)
            ]
        for thread in self._threads:
            thread.start()

    def submit(self, text: str, source: str, target: str, deadline: float) -> Future[str]:
        """Queue one job; raises TranslationBusy when `max_queue` jobs are pending, RuntimeError once closed."""
        self.start()
        job = _Job(text, (source, target), deadline)
        with self._ready:
            if self._closed:
                raise RuntimeError("the translation queue is closed")
            if self._pending >= self._max_queue:
                raise TranslationBusy(f"{self._pending} translations pending")
            waited = self._oldest_wait(job.queued_at)
            if waited > self._max_wait:
                raise TranslationBusy(f"the oldest translation has waited {waited:.1f} s")
            self._pending += 1
            self._queues.setdefault(job.pair, deque()).append(job)
            self._ready.notify()
        job.future.add_done_callback(lambda _: self._forget_cancelled(job))
        return job.future

    def _oldest_wait(self, now: float) -> float:
        return max((now - queue[0].queued_at for queue in self._queues.values()), default=0.0)

    def _forget_cancelled(self, job: _Job) -> None:
        # A job cancelled while queued (its caller timed out) frees its place at once, not when a thread reaches it.
        with self._ready:
            if not job.queued:
                return
            job.queued = False
            queue = self._queues[job.pair]
            queue.remove(job)
            if not queue:
                del self._queues[job.pair]
            self._pending -= 1

    async def aclose(self) -> None:
        """Stop the threads after their current batch (waiting up to 30 s for it); queued jobs are cancelled.

        Waiting matters: a process that exits while a thread is inside CTranslate2 can crash on the way out.
        """
        with self._ready:
            self._closed = True
            dropped = [job for queue in self._queues.values() for job in queue]
            for job in dropped:
                job.queued = False
            self._queues.clear()
            self._pending -= len(dropped)
            self._ready.notify_all()
        for job in dropped:
            job.future.cancel()
        deadline = time.monotonic() + 30
        for thread in self._threads:
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        if self._nice > 0:
            _lower_priority(self._nice)
        with self._ready:
            on_start, self._on_start = self._on_start, None  # the first thread runs it, once
        if on_start is not None:
            try:
                on_start()
            except Exception:
                logger.exception("preparing the translation threads failed; models load on first use")
        while True:
            taken = self._take()
            if taken is None:
                return
            pair, jobs = taken
            results = self._translate(pair, jobs)
            # Counted done before any caller hears its result, so that a caller never sees its own job pending.
            with self._ready:
                self._pending -= len(jobs)
                self.batches += 1
                self.translated += sum(not isinstance(result, Exception) for result in results)
            for job, result in zip(jobs, results, strict=True):
                if isinstance(result, Exception):
                    job.future.set_exception(result)
                else:
                    job.future.set_result(result)

    def _take(self) -> tuple[LanguagePair, list[_Job]] | None:
        """Block until a batch is due; return it with every job marked running (None once closed)."""
        with self._ready:
            while not self._closed:
                pair = min(self._queues, key=lambda p: self._queues[p][0].queued_at, default=None)
                if pair is None:
                    self._ready.wait()
                    continue
                queue = self._queues[pair]
                waited = time.monotonic() - queue[0].queued_at
                if len(queue) < self.batch_size and waited < self.batch_wait:
                    self._ready.wait(self.batch_wait - waited)
                    continue
                jobs, dropped = self._start_jobs(queue)
                if not queue:
                    del self._queues[pair]
                self._pending -= dropped
                if jobs:
                    return pair, jobs
            return None

    def _start_jobs(self, queue: deque[_Job]) -> tuple[list[_Job], int]:
        jobs: list[_Job] = []
        dropped = 0
        now = time.time()
        while queue and len(jobs) < self.batch_size:
            job = queue.popleft()
            job.queued = False
            if job.deadline <= now and not job.future.cancelled():
                job.future.set_exception(TranslationTimeout("the translation waited past its deadline"))
                dropped += 1
            elif job.future.set_running_or_notify_cancel():
                jobs.append(job)
            else:
                dropped += 1
        return jobs, dropped

    def _translate(self, pair: LanguagePair, jobs: list[_Job]) -> list[str | Exception]:
        """One result per job: its translation, or the exception its caller gets."""
        try:
            return translate_each(self.translator, [job.text for job in jobs], *pair)
        except Exception as exc:  # a broken model or a missing pair: every job of the batch gets the error
            if not isinstance(exc, TranslationError):
                logger.exception("translation %s->%s failed", *pair)
            return [exc] * len(jobs)


def _lower_priority(nice: int) -> None:
    """Raise this thread's nice value (Linux gives each thread its own; threads it starts inherit it)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: translation just competes evenly
        logger.info("translation threads keep their priority: %s", exc)
