"""Number words read as digits: units, teens, tens, compounds and "double" forms in en, es, fr, de and ar.

A student spells a phone number to get past a digit filter: "seis doce treinta y cuatro", "zéro six, trente-quatre",
"null eins fünf eins zwo", "vierunddreißig", "double oh seven", "خمسة وعشرين". `spelled_numbers` finds each
spelled number in folded text (see normalise.fold: no accents, casefolded, "ß" as "ss", Arabic letters
folded) and says which digits it stands for, so the contact view can put the digits in its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from rooms.moderation.normalise import fold, letter_words

_UNITS_BY_VALUE: Final = (
    "zero cero null nought صفر",
    "one uno una un une eins ein واحد واحده احد",
    "two dos deux zwei zwo اثنين اثنان اتنين اثنا اثني",
    "three tres trois drei ثلاثة ثلاث تلاتة",
    "four cuatro quatre vier أربعة أربع اربعة اربع",
    "five cinco cinq fünf خمسة خمس",
    "six seis sechs ستة ست",
    "seven siete sept sieben سبعة سبع",
    "eight ocho huit acht ثمانية ثمان تمانية",
    "nine nueve neuf neun تسعة تسع",
)
_TEENS_BY_VALUE: Final = (
    "ten diez dix zehn عشرة عشر",
    "eleven once onze elf",
    "twelve doce douze zwölf",
    "thirteen trece treize dreizehn",
    "fourteen catorce quatorze vierzehn",
    "fifteen quince quinze fünfzehn",
    "sixteen dieciseis seize sechzehn",
    "seventeen diecisiete siebzehn",
    "eighteen dieciocho achtzehn",
    "nineteen diecinueve neunzehn",
)
_TENS_BY_VALUE: Final = (
    "twenty veinte vingt vingts zwanzig عشرين عشرون",
    "thirty treinta trente dreißig ثلاثين ثلاثون",
    "forty cuarenta quarante vierzig أربعين أربعون اربعين",
    "fifty cincuenta cinquante fünfzig خمسين خمسون",
    "sixty sesenta soixante sechzig ستين ستون",
    "seventy setenta septante siebzig سبعين سبعون",
    "eighty ochenta octante huitante achtzig ثمانين ثمانون",
    "ninety noventa nonante neunzig تسعين تسعون",
)
_HUNDREDS: Final = {
    **dict.fromkeys(("cien", "ciento"), 100),
    **{w: (i + 2) * 100 for i, w in enumerate("doscientos trescientos cuatrocientos quinientos seiscientos".split())},
    **{w: (i + 7) * 100 for i, w in enumerate("setecientos ochocientos novecientos".split())},
}
_HUNDRED_WORDS: Final = frozenset(fold(w) for w in "hundred cent cents hundert مية مئة مائة".split())
_REPEATS: Final = {"double": 2, "doble": 2, "doppel": 2, "doppelt": 2, "triple": 3, "dreifach": 3}
_CONNECTORS: Final = frozenset({"y", "et", "and", "und", "\u0648"})  # "treinta y cuatro", "vingt et un"
_OH: Final = frozenset({"oh", "o"})  # zero only next to other digits: "oh seven", never "oh, I know"


def _table(rows: tuple[str, ...], base: int, step: int) -> dict[str, int]:
    return {fold(word): base + step * index for index, row in enumerate(rows) for word in row.split()}


UNITS: Final = _table(_UNITS_BY_VALUE, 0, 1)
TEENS: Final = _table(_TEENS_BY_VALUE, 10, 1)
TENS: Final = _table(_TENS_BY_VALUE, 20, 10)
_VEINTI = {f"veinti{word}": 20 + value for word, value in UNITS.items() if 0 < value and word.isascii()}
_GERMAN_COMPOUND = re.compile(
    r"(ein|zwei|drei|vier|funf|sechs|sieben|acht|neun)und(zwanzig|dreissig|vierzig|funfzig|sechzig|siebzig|achtzig"
    r"|neunzig)"
)
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_GLUE = re.compile(r"[\s\-]{0,3}")  # what may stand between the words of one number: "trente-quatre", "dix - sept"


def word_value(word: str) -> tuple[str, int] | None:
    """Classify one folded word: ("unit"|"teen"|"tens"|"hundreds", value), ("repeat", n), or None."""
    if word in UNITS:
        return "unit", UNITS[word]
    if word in TEENS:
        return "teen", TEENS[word]
    if word in TENS:
        return "tens", TENS[word]
    if word in _VEINTI:
        return "teen", _VEINTI[word]  # a finished two-digit number, like a teen
    if word in _HUNDREDS:
        return "hundreds", _HUNDREDS[word]
    if word in _REPEATS:
        return "repeat", _REPEATS[word]
    compound = _GERMAN_COMPOUND.fullmatch(word)
    if compound:
        return "teen", UNITS[compound.group(1)] + TENS[compound.group(2)]
    return None


class _Reader:
    """Reads one spelled number at a time from the token list; `i` is the next token."""

    def __init__(self, folded: str) -> None:
        self.folded = folded
        self.tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(folded)]

    def kind(self, i: int) -> tuple[str, int] | None:
        if i >= len(self.tokens):
            return None
        word = self.tokens[i][2]
        found = word_value(word)
        if found is None and word.startswith("\u0648") and len(word) > 2:
            found = word_value(word[1:])  # Arabic "and" is written onto the next word: "وعشرين"
            return ("and_" + found[0], found[1]) if found else None
        return found

    def glued(self, i: int) -> bool:
        """Whether token i follows token i-1 with only spaces or hyphens between them."""
        return 0 < i < len(self.tokens) and bool(
            _GLUE.fullmatch(self.folded[self.tokens[i - 1][1] : self.tokens[i][0]])
        )

    def connector(self, i: int) -> bool:
        return i < len(self.tokens) and self.tokens[i][2] in _CONNECTORS and self.glued(i) and self.glued(i + 1)

    def below_hundred(self, i: int, nested: bool = False) -> tuple[int, int] | None:
        """A number 0-99 starting at token i: (value, next index).

        `nested`: the units after a tens word ("trente-quatre"), which are below 20, so the forms that make a
        tens ("quatre-vingt", Arabic "four and-thirty", "vier und dreißig") are not tried: trying them chained
        the look-ahead through a whole run of "quatre-vingt-quatre-vingt-…", quadratic in the text.
        """
        found = self.kind(i)
        if found is None:
            return None
        kind, value = found
        if kind in ("tens", "and_tens"):
            return self._after_tens(value, i + 1)
        if kind == "unit":
            after = self.kind(i + 1) if self.glued(i + 1) else None
            if nested:
                return value, i + 1
            if value == 4 and after == ("tens", 20):  # "quatre-vingt(s)"
                return self._after_tens(80, i + 2)
            if after is not None and after[0] == "and_tens":  # Arabic "أربعة وثلاثين" = 34
                return value + after[1], i + 2
            if self.connector(i + 1) and (self.kind(i + 2) or ("", 0))[0] == "tens":  # "vier und dreißig"
                return value + (self.kind(i + 2) or ("", 0))[1], i + 3
            if after == ("teen", 10) and value > 0 and not self.tokens[i + 1][2].isascii():  # Arabic "ثلاثة عشر"
                return 10 + value, i + 2
            return value, i + 1
        if kind == "teen":
            after = self.kind(i + 1) if self.glued(i + 1) else None
            if value == 10 and after is not None and after[0] == "unit" and after[1] >= 7:  # "dix-sept"
                return 10 + after[1], i + 2
            return value, i + 1
        return None

    def _after_tens(self, tens: int, i: int) -> tuple[int, int]:
        j = i + 1 if self.connector(i) else i
        if not self.glued(j):
            return tens, i
        found = self.below_hundred(j, nested=True) if (self.kind(j) or ("", 0))[0] in ("unit", "teen") else None
        if found is not None and 0 < found[0] < (20 if tens in (60, 80) else 10):
            return tens + found[0], found[1]  # "soixante-dix-huit" = 78, "treinta y cuatro" = 34
        return tens, i

    def number(self, i: int) -> tuple[str, int] | None:
        """Digits for the spelled number starting at token i, and the index after it."""
        found = self.kind(i)
        if found is None:
            return None
        kind, value = found
        if kind == "repeat" and self.glued(i + 1):
            if i + 1 < len(self.tokens) and self.tokens[i + 1][2] in _OH:
                return "0" * value, i + 2
            if (self.kind(i + 1) or ("", 0))[0] == "repeat":
                return None  # "double double …" repeats no digit; recursing down such a run was quadratic
            inner = self.number(i + 1)
            return (inner[0] * value, inner[1]) if inner and len(inner[0]) == 1 else None
        if kind == "hundreds":
            hundreds, nxt = value, i + 1
        else:
            below = self.below_hundred(i)
            if below is None:
                return None
            value, nxt = below
            if not (self.glued(nxt) and nxt < len(self.tokens) and self.tokens[nxt][2] in _HUNDRED_WORDS):
                return (f"{value:02d}" if kind != "unit" or value >= 10 else str(value)), nxt
            hundreds, nxt = max(value, 1) * 100, nxt + 1
        rest_at = nxt + 1 if self.connector(nxt) else nxt
        rest = self.below_hundred(rest_at) if self.glued(rest_at) else None
        if rest is not None:
            return str(hundreds + rest[0]), rest[1]
        return str(hundreds), nxt


_VOCABULARY = frozenset(
    {*UNITS, *TEENS, *TENS, *_VEINTI, *_HUNDREDS, *_HUNDRED_WORDS, *_REPEATS, *_OH}
    | {"\u0648" + word for word in (*UNITS, *TEENS, *TENS) if not word.isascii()}
)
NUMBER_WORDS = _VOCABULARY  # every word `spelled_numbers` reads as a number (a message without one has none)
# German "vierunddreißig": the only number words not in the vocabulary, found as a word ending in "zig"/"ssig".
_COMPOUND_ENDING = re.compile(r"(?:zig|ssig)(?![^\W\d_])")


def spelled_numbers(folded: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, digits) for each spelled number in folded text, in order, never overlapping."""
    compound = ("zig" in folded or "ssig" in folded) and _COMPOUND_ENDING.search(folded) is not None
    if not compound and _VOCABULARY.isdisjoint(letter_words(folded)):
        return  # one set intersection for ordinary chat; a long run of one repeated word costs one look-up
    reader = _Reader(folded)
    tokens = reader.tokens
    i = 0
    while i < len(tokens):
        word = tokens[i][2]
        if word not in _VOCABULARY and not word.startswith("\u0648") and not word.endswith(("zig", "ssig")):
            i += 1  # no reading of it is a number word ("chat", "12"): `number` would say None, and costs 2 µs
            continue
        if word in _OH:
            neighbours = (i - 1, i + 1)
            if any(0 <= n < len(tokens) and (tokens[n][2].isdigit() or reader.kind(n)) for n in neighbours):
                yield tokens[i][0], tokens[i][1], "0"
            i += 1
            continue
        found = reader.number(i) if not word.isdigit() else None
        if found is None:
            i += 1
            continue
        digits, nxt = found
        yield tokens[i][0], tokens[nxt - 1][1], digits
        i = nxt
