"""Homoglyph folding: a letter of another script that looks like a Latin letter or digit reads as that letter.

The table comes from Unicode's TR39 confusables data as shipped by the maintained `confusable-homoglyphs`
package (its `confusables.json`), so "gm\u0430il" with a Cyrillic a or "\u0455nap" reads as "gmail"/"snap".
Arabic script is never folded: TR39 lists Arabic letters that look like Latin ones ("\u0647" like "o"), and
folding them would break Arabic words. Built once, lazily, on first use.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib.resources import files

# Blocks never folded: Arabic (and its presentation forms), whose words we match as Arabic.
_KEEP_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def _kept(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _KEEP_RANGES)


@cache
def _table() -> dict[str, str]:
    raw = json.loads(files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for ch, entries in raw.items():
        if len(ch) != 1 or ch.isascii() or _kept(ch) or unicodedata.category(ch).startswith("M"):
            continue
        targets = [e["c"].lower() for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()]
        letters = [t for t in targets if t.isalpha()]
        if letters or targets:
            table[ch] = (letters or targets)[0]
    return table


def latin_lookalike(ch: str) -> str:
    """The ASCII letter or digit `ch` is confusable with, or `ch` itself (ASCII and Arabic stay as they are)."""
    if ch.isascii():
        return ch
    return _table().get(ch, ch)
