"""An offline sentence splitter that stands in for Argos's network-backed ones."""

from __future__ import annotations

import re

# Split after sentence-final punctuation (Latin, Arabic, CJK, ellipsis) when whitespace follows. Argos decodes
# the sentences' tokens together and SentencePiece marks word starts itself, so the whitespace can be dropped.
_BOUNDARY = re.compile(r"(?<=[.!?\u2026\u061f\u3002\uff01\uff1f])\s+")


class RegexSentenceSplitter:
    """Sentence boundary detection by punctuation, installed in place of Argos's MiniSBD/Stanza/spaCy splitters.

    Those download models on first use (and retry on every call when offline); chat messages are short, so
    punctuation is a good enough boundary. Duck-types `argostranslate.sbd.ISentenceBoundaryDetectionModel`.
    """

    def split_sentences(self, text: str) -> list[str]:
        """Return the sentences of `text`; text without a boundary is one sentence (even when empty)."""
        sentences = [sentence for sentence in _BOUNDARY.split(text.strip()) if sentence]
        return sentences or [text.strip()]

    def __str__(self) -> str:
        return "RegexSentenceSplitter"
