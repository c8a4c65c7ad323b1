"""Async translation service: one translation per target language, in a bounded thread pool, with a cache."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from translation.base import PairUnavailable, TranslationBusy, TranslationError, TranslationTimeout, Translator
from translation.cache import TranslationCache

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

    Blocking work (cache lookups that may hit the DB, model inference) runs in a ThreadPoolExecutor of
    `workers` threads. A job is one (message, target language) pair, so a message to a room is translated
    once per language, never per recipient. When `max_queue` jobs are already pending the request is
    rejected as "busy" rather than queued behind a backlog; a job not finished after `timeout` seconds is
    reported as "timeout" (its thread finishes in the background and still fills the cache).
    """

    def __init__(
        self,
        translator: Translator,
        cache: TranslationCache,
        workers: int = 2,
        max_queue: int = 256,
        timeout: float = 10.0,
    ) -> None:
        if workers < 1 or max_queue < 1 or timeout <= 0:
            raise ValueError("workers and max_queue must be >= 1 and timeout > 0")
        self.translator = translator
        self.cache = cache
        self._workers = workers
        self._max_queue = max_queue
        self._timeout = timeout
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self._pending = 0
        self._pending_lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet finished (queued or running)."""
        with self._pending_lock:
            return self._pending

    def start(self) -> None:
        """Create the worker pool (idempotent; `translate` also starts it on first use)."""
        if self._closed:
            raise RuntimeError("TranslationService is closed")
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="translation")

    async def aclose(self) -> None:
        """Stop accepting work and drop queued jobs; running ones finish in their threads, unawaited."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

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
        if hit is not None:
            return TranslationResult(target, hit, cached=True)
        if not self.translator.can_translate(source, target):
            return TranslationResult(target, None, "unavailable")
        try:
            future = self._submit(text, source, target, version)
            return await asyncio.wait_for(asyncio.wrap_future(future), self._timeout)
        except TranslationBusy:
            return TranslationResult(target, None, "busy")
        except (TimeoutError, TranslationTimeout):
            logger.warning("translation %s->%s timed out after %ss", source, target, self._timeout)
            return TranslationResult(target, None, "timeout")
        except PairUnavailable:
            return TranslationResult(target, None, "unavailable")
        except Exception:
            logger.exception("translation %s->%s failed", source, target)
            return TranslationResult(target, None, "failed")

    def _submit(self, text: str, source: str, target: str, version: str) -> Future[TranslationResult]:
        executor = self._executor
        if executor is None:
            raise TranslationError("TranslationService is closed")
        with self._pending_lock:
            if self._pending >= self._max_queue:
                raise TranslationBusy(f"{self._pending} translations pending")
            self._pending += 1
        try:
            future = executor.submit(self._work, text, source, target, version)
        except RuntimeError as exc:  # executor shut down meanwhile
            self._job_done(None)
            raise TranslationError("TranslationService is closed") from exc
        # Counted down on completion *or* cancellation (a timed-out job still queued is cancelled, never runs).
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, _: object) -> None:
        with self._pending_lock:
            self._pending -= 1

    def _work(self, text: str, source: str, target: str, version: str) -> TranslationResult:
        # Runs in a worker thread. Cache trouble (e.g. the DB is down) must not cost the translation itself.
        try:
            hit = self.cache.get(text, source, target, version)
        except Exception:
            logger.warning("translation cache read failed", exc_info=True)
            hit = None
        if hit is not None:
            return TranslationResult(target, hit, cached=True)
        translated = self.translator.translate_batch([text], source, target)[0]
        try:
            self.cache.put(text, source, target, version, translated)
        except Exception:
            logger.warning("translation cache write failed", exc_info=True)
        return TranslationResult(target, translated)
