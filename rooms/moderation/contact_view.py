"""The contact view of a message: folded text with spelled numbers as digits and spelled-out letters joined.

Built once per message text (cached) on top of `normalise.normalise`, which already did NFKC/NFKD, case,
accents, homoglyphs (TR39), every digit script, keycaps and invisibles. This pass adds what only the contact
and address hooks need: "zéro six trente-quatre" reads "0 6 34" and "a l i c e @ g m a i l . c o m" reads
"alice@gmail.com". Offsets still lead back to the original characters, so a mask covers what the student typed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rooms.moderation.normalise import NormalisedText, normalise, texts_to_check
from rooms.moderation.numbers import spelled_numbers

# Four or more single characters, each followed by one space: a word typed letter by letter. Each step consumes
# exactly two characters, so the match is linear.
_SPELLED = re.compile(r"(?<!\S)\S(?!\S)(?: \S(?!\S)){3,}")
# What every such run holds from its second character on. It starts with a literal space, which the regex engine
# jumps between in C; `_SPELLED`'s look-behind is tried at every character (1.2 µs a message, now 0.2).
SPELLED_HINT = re.compile(r" \S \S \S(?!\S)")


def _spelled_letters(folded: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    if SPELLED_HINT.search(folded) is None:
        return found
    for match in _SPELLED.finditer(folded):
        if any(ch.isalpha() for ch in match.group()):  # "0 6 1 2 ..." stays as it is for the phone finder
            found.append((match.start(), match.end(), match.group().replace(" ", "")))
    return found


def _origin(base: NormalisedText, index: int) -> int:
    if base.offsets is None:
        return index
    return base.offsets[index] if index < len(base.offsets) else len(base.original)


@lru_cache(maxsize=512)
def contact_view(text: str) -> NormalisedText:
    """The message as the contact hooks read it, with a map back to the original for masking."""
    base = normalise(text)
    folded = base.folded
    replacements = list(spelled_numbers(folded))
    taken = [(start, end) for start, end, _ in replacements]
    replacements += [r for r in _spelled_letters(folded) if not any(s < r[1] and r[0] < e for s, e in taken)]
    if not replacements:
        return base
    replacements.sort()
    pieces: list[str] = []
    offsets: list[int] = []
    cursor = 0
    # Unchanged stretches keep their offsets, copied as a slice (or a range: plain ASCII maps one to one).
    kept: tuple[int, ...] | range = base.offsets if base.offsets is not None else range(len(folded))
    for start, end, digits in replacements:
        pieces.append(folded[cursor:start])
        offsets.extend(kept[cursor:start])
        pieces.append(digits)
        first, last = _origin(base, start), _origin(base, end - 1)
        offsets.extend([first] + [last] * (len(digits) - 1))
        cursor = end
    pieces.append(folded[cursor:])
    offsets.extend(kept[cursor:])
    return NormalisedText(text, "".join(pieces), tuple(offsets))


def contact_views(text: str, translations: list[str]) -> list[NormalisedText]:
    """The original's view first, then each distinct translation's."""
    return texts_to_check(text, translations, contact_view)
