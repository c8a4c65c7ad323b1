"""The offline sentence splitter used in place of Argos's downloading ones."""

from __future__ import annotations

import pytest

from translation.splitter import RegexSentenceSplitter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello world", ["Hello world"]),
        ("Hello world. How are you?", ["Hello world.", "How are you?"]),
        ("Wow!  Really?! Yes…  ok", ["Wow!", "Really?!", "Yes…", "ok"]),
        ("3.14 is pi", ["3.14 is pi"]),
        ("كيف حالك؟ أنا بخير.", ["كيف حالك؟", "أنا بخير."]),
        ("你好。我很好\uff01", ["你好。我很好\uff01"]),
        ("", [""]),
        ("   ", [""]),
    ],
    ids=["one", "two", "runs-and-ellipsis", "decimal", "arabic", "cjk-no-space", "empty", "blank"],
)
def test_split_sentences_by_punctuation(text: str, expected: list[str]) -> None:
    assert RegexSentenceSplitter().split_sentences(text) == expected
