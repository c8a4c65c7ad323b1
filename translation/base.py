"""The translator contract every backend implements, and the errors it may raise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

LanguagePair = tuple[str, str]


class TranslationError(Exception):
    """A translation could not be produced."""


class PairUnavailable(TranslationError):
    """No installed model (direct or via the English pivot) translates this language pair."""


class TranslationTimeout(TranslationError):
    """The translation did not finish in time."""


class TranslationBusy(TranslationError):
    """Too many translations are already pending; the request was rejected instead of queued."""


@runtime_checkable
class Translator(Protocol):
    """A blocking machine translator; the service runs it in worker threads."""

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

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate each text (blocking). Raises PairUnavailable or TranslationError."""
        ...
