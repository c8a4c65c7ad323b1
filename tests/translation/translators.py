"""Real translators wrapped for tests: counting calls, held until released (a slow model), or crashing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

from translation.base import LanguagePair, Translator


class CountingTranslator:
    """Delegates to a real translator; counts translate_batch calls per language pair and records each call's size."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner
        self.calls: Counter[LanguagePair] = Counter()
        self.batches: list[tuple[LanguagePair, int]] = []
        self._lock = threading.Lock()

    @property
    def model_version(self) -> str:
        return self.inner.model_version

    def available_pairs(self) -> set[LanguagePair]:
        return self.inner.available_pairs()

    def can_translate(self, source: str, target: str) -> bool:
        return self.inner.can_translate(source, target)

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        with self._lock:
            self.calls[(source, target)] += 1
            self.batches.append(((source, target), len(texts)))
        return self.inner.translate_batch(texts, source, target)


class GatedTranslator(CountingTranslator):
    """A real translator that waits for `release` before translating: a stand-in for a slow model."""

    def __init__(self, inner: Translator) -> None:
        super().__init__(inner)
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.entered.release()
        if not self.release.wait(timeout=30):
            raise RuntimeError("test never released the translator")
        return super().translate_batch(texts, source, target)


class BrokenTranslator(CountingTranslator):
    """A real translator whose model crashes."""

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        raise RuntimeError("model crashed")
