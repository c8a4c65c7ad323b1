"""A normalised view of a chat message for matching, with a map back to the original characters for masking."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rooms.moderation.confusables import latin_lookalike

# Arabic letters that students write interchangeably; folding them lets one list entry match every spelling.
_ARABIC_FOLDS = {"\u0629": "\u0647", "\u0649": "\u064a", "\u0640": ""}  # ta marbuta, alef maksura, tatweel
# Kept as itself: folding "ñ" to "n" would make Spanish "cono" (cone) and "año" (year) read as swear words.
_KEPT_LETTERS = {"\u00f1": "\u00f1", "\u00d1": "\u00f1"}
_WHITESPACE_CONTROLS = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85")
# Full stops of other scripts that browsers and students use as a dot in "instagram\u3002com".
_DOTS = frozenset("\u3002\uff61\ufe52\u2024\u06d4")


@lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """Fold one character for matching: NFKD, no marks, casefolded, any digit as ASCII, homoglyphs as Latin.

    Zero-width and other format/control characters fold to nothing so they cannot split a word or a number.
    """
    if ch in _WHITESPACE_CONTROLS:
        return " "
    category = unicodedata.category(ch)
    if category[0] == "C" or category == "Zl" or category == "Zp":
        return "" if category[0] == "C" else " "
    if category == "Zs":
        return " "
    if category == "Nd" and not ch.isascii():
        return str(unicodedata.decimal(ch))
    if category == "No" and unicodedata.digit(ch, None) is not None:
        return str(unicodedata.digit(ch))  # circled, dingbat and superscript digits: "\u2776", "\u24ea"
    if category == "Me":
        return ""  # enclosing marks: the keycap U+20E3 in "1\ufe0f\u20e3" leaves the digit
    if ch in _DOTS:
        return "."
    if ch in _ARABIC_FOLDS:
        return _ARABIC_FOLDS[ch]
    if ch in _KEPT_LETTERS:
        return _KEPT_LETTERS[ch]
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    kept = (_ARABIC_FOLDS.get(c, c) for c in decomposed if unicodedata.category(c) != "Mn")
    return "".join(latin_lookalike(c) for c in kept)


def fold(text: str) -> str:
    """Fold a whole string the way `NormalisedText` does (used for word lists and configuration entries)."""
    return "".join(fold_char(ch) for ch in text)


def _is_plain_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """`folded` is what hooks match against; `offsets[i]` is the index in `original` that folded char i came from."""

    original: str
    folded: str
    offsets: tuple[int, ...] | None  # None: folded is original.lower(), one char per char

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span [start, end) to the original span that produced it (invisibles inside included)."""
        if self.offsets is None:
            return start, end
        if start >= end:
            origin = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return origin, origin
        return self.offsets[start], self.offsets[end - 1] + 1

    def mask(self, spans: Iterable[tuple[int, int]], replacement: str) -> str:
        """Return the original text with each folded span replaced (overlapping spans merged)."""
        mapped = sorted(self.to_original(start, end) for start, end in spans if end > start)
        merged: list[tuple[int, int]] = []
        for start, end in mapped:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        pieces: list[str] = []
        cursor = 0
        for start, end in merged:
            pieces.append(self.original[cursor:start])
            pieces.append(replacement)
            cursor = end
        pieces.append(self.original[cursor:])
        return "".join(pieces)


@lru_cache(maxsize=512)
def normalise(text: str) -> NormalisedText:
    """Normalise a message once; cached because every hook in a pass looks at the same text."""
    if _is_plain_ascii(text):
        return NormalisedText(text, text.lower(), None)
    outs = list(map(fold_char, text))
    folded = "".join(outs)
    if len(folded) == len(text) and "" not in outs:
        return NormalisedText(text, folded, tuple(range(len(text))))  # every character folded to exactly one
    offsets: list[int] = []
    for index, out in enumerate(outs):
        offsets.extend([index] * len(out))
    return NormalisedText(text, folded, tuple(offsets))


_LETTER_RUN = re.compile(r"[^\W\d_]+")
_ASCII_LETTER_RUN = re.compile(r"[A-Za-z]+")  # the same on ASCII text, tested from a bitmap instead of Unicode data


@lru_cache(maxsize=512)
def letter_words(folded: str) -> tuple[str, ...]:
    """The runs of letters of folded text, in order; cached because the disclosure phrases and the spelled numbers
    of the contact view are both read from the same words of the same text."""
    return tuple((_ASCII_LETTER_RUN if folded.isascii() else _LETTER_RUN).findall(folded))


def texts_to_check(
    text: str, translations: Iterable[str], view: Callable[[str], NormalisedText] = normalise
) -> list[NormalisedText]:
    """The original first, then each distinct translation: a detail revealed only by translation still counts."""
    if not translations:  # the first pass of every message: no set to build
        return [view(text)]
    seen = {text}
    views = [view(text)]
    for translated in translations:
        if translated not in seen:
            seen.add(translated)
            views.append(view(translated))
    return views
