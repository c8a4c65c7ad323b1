"""Async translation service: one translation per target language, through a bounded batching queue, with a cache."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Literal

from translation.base import (
    Catalogue,
    PairUnavailable,
    TranslationBusy,
    TranslationQueue,
    TranslationTimeout,
    Translator,
)
from translation.batcher import MicroBatcher
from translation.cache import TranslationCache
from translation.remote import RedisTranslationQueue

logger = logging.getLogger(__name__)

ErrorCode = Literal["unavailable", "timeout", "busy", "failed"]


@dataclass(frozen=True)
class TranslationResult:
    """The outcome for one target language: `text` on success, else a stable `error` code for the UI."""

    target: str
    text: str | None
    error: ErrorCode | None = None
    cached: bool = False

    @property
    def ok(self) -> bool:
        """Whether a translation (or the untouched text, for the same language) is available."""
        return self.error is None


class TranslationService:
    """Translate chat messages without ever blocking or hanging the event loop.

    A job is one (message, target language) pair, so a message to a room is translated once per language, never
    per recipient. Jobs go to `queue`: the server passes a `MicroBatcher` (threads of this process batching jobs
    from every room) or a `RedisTranslationQueue` (`bridgeway translation-worker` processes; `translator` is then
    the queue itself, which knows the pairs the workers serve); without one, a `MicroBatcher` of `workers` threads
    over `translator` is built. A full queue answers "busy" rather than queueing behind a backlog; a job not
    finished after `timeout` seconds is "timeout" (a queued one is dropped, a running one still fills the cache).
    Cache reads and writes that reach the database run in threads.
    """

    def __init__(
        self,
        translator: Catalogue,
        cache: TranslationCache,
        workers: int = 2,
        max_queue: int = 128,
        timeout: float = 10.0,
        *,
        batch_size: int = 32,
        queue: TranslationQueue | None = None,
    ) -> None:
        if workers < 1 or max_queue < 1 or timeout <= 0:
            raise ValueError("workers and max_queue must be >= 1 and timeout > 0")
        if queue is None:
            if not isinstance(translator, Translator):
                raise TypeError("without a queue, the translator must translate (translate_batch)")
            queue = MicroBatcher(translator, workers=workers, max_queue=max_queue, batch_size=batch_size)
        self.translator = translator
        self.cache = cache
        self.queue = queue
        self._timeout = timeout
        self._writes: ThreadPoolExecutor | None = None  # one thread: database writes of the cache, batched
        self._unsaved: list[tuple[str, str, str, str, str]] = []
        self._unsaved_lock = threading.Lock()
        self._flushing = False
        self._closed = False

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet finished (queued or running)."""
        return self.queue.pending

    def start(self) -> None:
        """Start the queue's threads and the cache writer (idempotent; `translate` also starts them)."""
        if self._closed:
            raise RuntimeError("TranslationService is closed")
        if self._writes is None:
            self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translation-cache")
            if isinstance(self.queue, MicroBatcher):
                self.queue.start()

    async def aclose(self) -> None:
        """Stop accepting work and drop queued jobs; cache writes already started are finished first."""
        self._closed = True
        await self.queue.aclose()
        if self._writes is not None:
            writes, self._writes = self._writes, None
            await asyncio.to_thread(writes.shutdown, True)

    def state(self) -> dict[str, object]:
        """Jobs waiting or running, their bound, and where translation runs (`workers`: live worker processes)."""
        workers = self.queue.workers if isinstance(self.queue, RedisTranslationQueue) else None
        return {
            "mode": "in_process" if workers is None else "workers",
            "pending": self.pending,
            "max_queue": self.queue.max_queue,
            "workers": workers,
        }

    def languages(self) -> set[str]:
        """Every language that appears in an installed pair, i.e. that something can be translated from or to."""
        return {code for pair in self.translator.available_pairs() for code in pair}

    async def translate(self, text: str, source: str, targets: Iterable[str]) -> dict[str, TranslationResult]:
        """Translate `text` from `source` into each distinct target concurrently; never raises per target.

        Same-language targets get the text as is; memory-cache hits are answered without a thread hop.
        """
        self.start()
        unique = list(dict.fromkeys(targets))
        results = await asyncio.gather(*(self._translate_one(text, source, target) for target in unique))
        return dict(zip(unique, results, strict=True))

    async def _translate_one(self, text: str, source: str, target: str) -> TranslationResult:
        if target == source:
            return TranslationResult(target, text)
        version = self.translator.model_version
        hit = self.cache.peek(text, source, target, version)
        if hit is None and not self.translator.can_translate(source, target):
            return TranslationResult(target, None, "unavailable")
        if hit is None and self.cache.persistent:
            try:
                hit = await asyncio.to_thread(self.cache.get, text, source, target, version)
            except Exception:  # cache trouble (e.g. the DB is down) must not cost the translation itself
                logger.warning("translation cache read failed", exc_info=True)
        if hit is not None:
            return TranslationResult(target, hit, cached=True)
        try:
            job = self.queue.submit(text, source, target, time.time() + self._timeout)
        except TranslationBusy:
            return TranslationResult(target, None, "busy")
        job.add_done_callback(partial(self._store, text, source, target, version))
        try:
            translated = await asyncio.wait_for(asyncio.wrap_future(job), self._timeout)
        except (TimeoutError, TranslationTimeout):
            logger.warning("translation %s->%s timed out after %ss", source, target, self._timeout)
            return TranslationResult(target, None, "timeout")
        except PairUnavailable:
            return TranslationResult(target, None, "unavailable")
        except Exception:
            logger.exception("translation %s->%s failed", source, target)
            return TranslationResult(target, None, "failed")
        return TranslationResult(target, translated)

    def _store(self, text: str, source: str, target: str, version: str, job: Future[str]) -> None:
        # Runs where the job finished (a worker thread, or the loop for remote workers), before the caller resumes.
        if job.cancelled() or job.exception() is not None:
            return
        translated = job.result()
        self.cache.remember(text, source, target, version, translated)
        if not self.cache.persistent:
            return
        with self._unsaved_lock:
            self._unsaved.append((text, source, target, version, translated))
            if self._flushing or self._writes is None:
                return  # the flush under way takes this one too
            self._flushing = True
        try:
            self._writes.submit(self._flush)
        except RuntimeError:  # closing: the memory copy is enough
            pass

    def _flush(self) -> None:
        """Write every translation finished since the last flush in one transaction (see `persist_many`)."""
        with self._unsaved_lock:
            entries, self._unsaved = self._unsaved, []
            self._flushing = False
        try:
            self.cache.persist_many(entries)
        except Exception:
            logger.warning("translation cache write failed", exc_info=True)
