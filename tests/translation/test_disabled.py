"""The translator used when translation is off."""

from __future__ import annotations

import pytest

from translation.base import PairUnavailable, Translator
from translation.disabled import DisabledTranslator


def test_disabled_translator_has_no_pairs() -> None:
    translator = DisabledTranslator()
    assert isinstance(translator, Translator)
    assert translator.available_pairs() == set()
    assert not translator.can_translate("en", "es")
    assert translator.can_translate("en", "en")


def test_disabled_translator_translate_raises_pair_unavailable() -> None:
    with pytest.raises(PairUnavailable):
        DisabledTranslator().translate_batch(["Hello"], "en", "es")
    assert DisabledTranslator().translate_batch(["Hello"], "en", "en") == ["Hello"]
