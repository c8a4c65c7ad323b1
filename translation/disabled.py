"""A translator that translates nothing, for deployments without the translation extra."""

from __future__ import annotations

from collections.abc import Sequence

from translation.base import LanguagePair, PairUnavailable


class DisabledTranslator:
    """No pairs are available; every translation (other than to the same language) is PairUnavailable."""

    @property
    def model_version(self) -> str:
        """Constant: nothing is installed."""
        return "disabled"

    def available_pairs(self) -> set[LanguagePair]:
        """No pairs."""
        return set()

    def can_translate(self, source: str, target: str) -> bool:
        """Only the identity works."""
        return source == target

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Return the texts for identical languages, otherwise raise PairUnavailable."""
        if source == target:
            return list(texts)
        raise PairUnavailable("translation is disabled")
