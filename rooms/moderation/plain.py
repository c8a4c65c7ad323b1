"""Plain chat lines: one scan per message that tells the built-in hooks which of their matchers cannot fire.

Most chat is words, spaces and a little punctuation. On such a line ("plain") there is no digit, no
"@", "/", "#", "_", "$", "!", no dot glued to a letter (no domain, no "ana.perez", no "f.u.c.k"), no letters typed
one by one: so no phone number, e-mail address, link, handle tag or postcode can be there, and every "word" each
matcher reads is one of the letter words (`normalise.letter_words`). A hook then decides from set look-ups on those
words (`Plain.words`) that it has nothing to say, instead of running its patterns over the text. Each hook's
condition is exact (it skips only where its matchers find nothing) and checked against them in
tests/rooms/moderation/test_plain.py.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from rooms.moderation.contact_view import SPELLED_HINT
from rooms.moderation.normalise import normalise
from rooms.moderation.numbers import NUMBER_WORDS

# The characters of a plain line, after normalisation (which turned every white space into " ", "é" into "e"):
# ASCII letters (so every word is a run of them) and punctuation no matcher reads, Spanish "¿" and "¡" included.
_PLAIN = re.compile(r"[a-z ,.?'\-\u00bf\u00a1]*+")
_LETTERS_AND_SPACES = re.compile(r"[a-z ]*+")  # the commonest plain line: its letter words are its `split()`
# A plain line's punctuation as spaces: then its letter words are its `split()` (two C calls, a third of a findall).
_PUNCTUATION_AS_SPACES = str.maketrans(",.?'-\u00bf\u00a1", "       ")
_DOT_LETTER = re.compile(r"\.[a-z]")  # a dot glued to a letter: a domain, "ana.perez", "f.u.c.k"


class Plain(NamedTuple):
    """A plain line: `folded` its normalised text, `words` its distinct letter words (`normalise.letter_words`: on a
    plain line, the runs of a-z between spaces and its punctuation).

    `numberless`: no number word ("six", "un", "oh"), no German compound ("-zig", "-ssig") and no letters typed one
    by one, so its contact view (`contact_view`) is `folded` itself and holds no digit either. (A named tuple: one is
    made for most messages, and a frozen dataclass's constructor costs three times as much.)
    """

    folded: str
    words: frozenset[str]
    numberless: bool


@lru_cache(maxsize=512)
def plain(text: str) -> Plain | None:
    """The plain reading of a message, or None when it is not plain (cached: every built-in hook asks)."""
    folded = normalise(text).folded
    if _LETTERS_AND_SPACES.fullmatch(folded) is not None:
        words = frozenset(folded.split())
    elif _PLAIN.fullmatch(folded) is None or ("." in folded and _DOT_LETTER.search(folded) is not None):
        return None
    else:
        words = frozenset(folded.translate(_PUNCTUATION_AS_SPACES).split())
    numberless = (
        NUMBER_WORDS.isdisjoint(words)
        and "zig" not in folded
        and "ssig" not in folded
        and SPELLED_HINT.search(folded) is None
    )
    return Plain(folded, words, numberless)


def plain_first_pass(text: str, translations: object) -> Plain | None:
    """`plain(text)` on a message's first pass (no translations); None on the second, which takes the full path."""
    return None if translations else plain(text)
