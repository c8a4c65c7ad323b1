"""Find phone numbers in folded text: digits, spaced/dotted/dashed groups and spelled-out digits (en, es, fr, de)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

MIN_DIGITS = 7  # shortest local numbers; ages, years, room numbers, scores and prices are far below this

DIGIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("zero", "cero", "null"), "0"),
    **dict.fromkeys(("one", "uno", "una", "un", "une", "eins"), "1"),
    **dict.fromkeys(("two", "dos", "deux", "zwei"), "2"),
    **dict.fromkeys(("three", "tres", "trois", "drei"), "3"),
    **dict.fromkeys(("four", "cuatro", "quatre", "vier"), "4"),
    **dict.fromkeys(("five", "cinco", "cinq", "funf"), "5"),
    **dict.fromkeys(("six", "seis", "sechs"), "6"),
    **dict.fromkeys(("seven", "siete", "sept", "sieben"), "7"),
    **dict.fromkeys(("eight", "ocho", "huit", "acht"), "8"),
    **dict.fromkeys(("nine", "nueve", "neuf", "neun"), "9"),
}
# Letters standing in for digits only when glued to a digit ("O6 12 34 56 78").
_LOOKALIKES = {"o": "0", "l": "1", "i": "1"}
_TOKEN = re.compile(r"\+|\d+|[^\W\d_]+")
_SEPARATOR = re.compile(r"[ .\-()\u2010-\u2015\u00b7]{0,3}|\s*,\s*(?=\D)")  # a gap allowed inside one number
_DATE = re.compile(r"\d{1,2}([.\-/ ])\d{1,2}\1(?:\d{2}|\d{4})|\d{4}([.\-/ ])\d{1,2}\2\d{1,2}")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _digits_of(tokens: list[tuple[int, int, str]], index: int, folded: str) -> str | None:
    start, end, token = tokens[index]
    if token.isdigit():
        return token
    if token in DIGIT_WORDS:
        return DIGIT_WORDS[token]
    if token in _LOOKALIKES:
        glued_before = index > 0 and tokens[index - 1][1] == start and tokens[index - 1][2].isdigit()
        glued_after = index + 1 < len(tokens) and tokens[index + 1][0] == end and tokens[index + 1][2].isdigit()
        if glued_before or glued_after:
            return _LOOKALIKES[token]
    return None


def _looks_innocent(digits: str, groups: list[str], folded_span: str) -> bool:
    if len(set(digits)) == 1 or digits.endswith("0000"):
        return True  # "1111111", "1 000 000": repeated digits and round amounts
    steps = {int(b) - int(a) for a, b in itertools.pairwise(digits)}
    group_steps = {int(b) - int(a) for a, b in itertools.pairwise(groups)}
    if steps in ({1}, {-1}) or (len(groups) > 2 and group_steps in ({1}, {-1})):
        return True  # counting "1 2 3 ... 10" or "uno dos tres ..." in a language lesson
    if all(_YEAR.fullmatch(group) for group in groups):
        return True  # "2019-2020 2020-2021"
    return bool(_DATE.fullmatch(folded_span.strip()))


_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+")


def _may_hold_a_number(folded: str) -> bool:
    """Cheap upper bound: fewer digit-like tokens in the whole text than a number needs means none is there."""
    count = len(_DIGIT.findall(folded))
    if count >= MIN_DIGITS:
        return True
    count += sum(1 for word in _WORD.findall(folded) if word in DIGIT_WORDS or word in _LOOKALIKES)
    return count >= MIN_DIGITS


def find_phone_numbers(folded: str) -> Iterator[tuple[int, int]]:
    """Yield folded spans that read as phone numbers (at least MIN_DIGITS digits in one run)."""
    if not _may_hold_a_number(folded):
        return
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(folded)]
    index = 0
    while index < len(tokens):
        run_start = index
        groups: list[str] = []
        if tokens[index][2] == "+":
            index += 1
        while index < len(tokens):
            digits = _digits_of(tokens, index, folded)
            if digits is None:
                break
            if groups and not _SEPARATOR.fullmatch(folded[tokens[index - 1][1] : tokens[index][0]]):
                break
            if not groups and index > run_start and folded[tokens[index - 1][1] : tokens[index][0]].strip():
                break  # "+" must be glued (or space-separated) to the first digit
            groups.append(digits)
            index += 1
        if not groups:
            index = run_start + 1
            continue
        digits = "".join(groups)
        start, end = tokens[run_start][0], tokens[index - 1][1]
        if start > 0 and folded[start - 1] == "(":
            start -= 1  # "(555) 123-4567": hide the area code's bracket too
        if len(digits) >= MIN_DIGITS and not _looks_innocent(digits, groups, folded[start:end]):
            yield start, end
