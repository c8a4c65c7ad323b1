"""The translator contract every backend implements, and the errors it may raise."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import Future
from typing import Protocol, runtime_checkable

LanguagePair = tuple[str, str]
Route = tuple[LanguagePair, ...]
PIVOT_LANGUAGE = "en"


class TranslationError(Exception):
    """A translation could not be produced."""


class PairUnavailable(TranslationError):
    """No installed model (direct or via the English pivot) translates this language pair."""


class TranslationTimeout(TranslationError):
    """The translation did not finish in time."""


class TranslationBusy(TranslationError):
    """Too many translations are already pending; the request was rejected instead of queued."""


@runtime_checkable
class Catalogue(Protocol):
    """What can be translated, and with which models: enough for the chat server to decide and to key its cache."""

    @property
    def model_version(self) -> str:
        """Identifies the installed models; it changes when they change, so it is part of the cache key."""
        ...

    def available_pairs(self) -> set[LanguagePair]:
        """The directly installed (source, target) pairs."""
        ...

    def can_translate(self, source: str, target: str) -> bool:
        """Whether `source` -> `target` works, directly or through English."""
        ...


@runtime_checkable
class Translator(Catalogue, Protocol):
    """A blocking machine translator; the translation queue runs it in worker threads or worker processes."""

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate each text (blocking). Raises PairUnavailable or TranslationError."""
        ...


@runtime_checkable
class TranslationQueue(Protocol):
    """Where translation jobs wait and run: worker threads in this process, or `bridgeway translation-worker`s.

    Both bound their queue (`submit` raises TranslationBusy when full) and answer through a concurrent Future, so
    the service treats them alike; a job whose `deadline` (time.time()) passed before it started is dropped.
    """

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet answered (queued or running)."""
        ...

    @property
    def max_queue(self) -> int:
        """The most jobs pending at once; beyond it `submit` raises TranslationBusy."""
        ...

    def submit(self, text: str, source: str, target: str, deadline: float) -> Future[str]:
        """Queue one translation; raises TranslationBusy when the queue is full. Cancelling a queued job drops it."""
        ...

    async def aclose(self) -> None:
        """Stop taking jobs; queued ones are cancelled."""
        ...


def route(pairs: Collection[LanguagePair], source: str, target: str) -> Route | None:
    """The installed steps that take `source` to `target`: the direct pair, else through English; None if neither.

    One rule for every backend, so the chat server (which may only know the pairs its workers advertise) and the
    worker that translates agree on what can be translated.
    """
    if (source, target) in pairs:
        return ((source, target),)
    first, second = (source, PIVOT_LANGUAGE), (PIVOT_LANGUAGE, target)
    if first in pairs and second in pairs:
        return (first, second)
    return None


def translate_each(translator: Translator, texts: Sequence[str], source: str, target: str) -> list[str | Exception]:
    """Translate a batch; when the batch fails, retry its texts one by one so one bad text fails only itself.

    A sentence longer than the model supports makes CTranslate2 reject the whole call: without the retry, one
    student's overlong message would cost every other message in its batch its translation.
    """
    try:
        return list(translator.translate_batch(texts, source, target))
    except PairUnavailable:
        raise
    except TranslationError as exc:
        if len(texts) == 1:
            return [exc]
    results: list[str | Exception] = []
    for text in texts:
        try:
            results.append(translator.translate_batch([text], source, target)[0])
        except TranslationError as exc:
            results.append(exc)
    return results
