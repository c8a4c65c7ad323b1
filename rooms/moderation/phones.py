"""Find phone numbers in contact-view text: digit groups with any separators, and libphonenumber per region."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

import phonenumbers

MIN_DIGITS = 7  # shortest local numbers; ages, years, room numbers, scores and prices are far below this

# Letters standing in for digits only when glued to a digit ("O6 12 34 56 78").
_LOOKALIKES = {"o": "0", "l": "1", "i": "1", "b": "8"}
_TOKEN = re.compile(r"\+|\d+|[^\W\d_]+")
# A gap allowed inside one number: "06 12", "06.12", "06/12", "06;12", "06|12", "06_12", "06~12", "06*12", "06, 12".
_SEPARATOR = re.compile(r"[ .\-()\u2010-\u2015\u00b7/;|_~*:,+]{0,4}")
_DATE = re.compile(r"\d{1,2}([.\-/ ])\d{1,2}\1(?:\d{2}|\d{4})|\d{4}([.\-/ ])\d{1,2}\2\d{1,2}")
_YEAR = re.compile(r"(?:19|20)\d\d")
# Match results: "3-2, 4-1, 2-2" or "3:1 1:1" (pairs of small numbers joined by a dash or colon).
_SCORES = re.compile(r"\d{1,3} ?[-:] ?\d{1,3}(?:[ ,;]{1,3}\d{1,3} ?[-:] ?\d{1,3})+")
# A decimal with a one-digit whole part: "3.14159265", "2,71828" are constants, not numbers to call.
_DECIMAL = re.compile(r"\d[.,]\d+")
_WINDOW = re.compile(r"[+(]?\d[\d \t.\-()/;|_~*:,+]{5,30}\d")
_MAX_WINDOWS = 4
_DIGIT_GROUP = re.compile(r"\d+")
_SUPPORTED = frozenset(phonenumbers.SUPPORTED_REGIONS)
# Regions whose numbers libphonenumber looks for when the room does not say which countries it joins.
DEFAULT_REGIONS = ("GB", "US", "FR", "ES", "DE", "MA")


def _digits_of(tokens: list[tuple[int, int, str]], index: int, folded: str) -> str | None:
    start, end, token = tokens[index]
    if token.isdigit():
        return token
    if len(token) <= 3 and all(ch in _LOOKALIKES for ch in token):
        glued_before = index > 0 and tokens[index - 1][1] == start and tokens[index - 1][2].isdigit()
        glued_after = index + 1 < len(tokens) and tokens[index + 1][0] == end and tokens[index + 1][2].isdigit()
        if glued_before or glued_after:  # "O6", "9oo", "6l2": letters standing in for digits next to digits
            return "".join(_LOOKALIKES[ch] for ch in token)
    return None


def _looks_innocent(digits: str, groups: list[str], folded_span: str) -> bool:
    # Each test alone says innocent; the ones that need no Python loop come first (a date is decided by one match).
    if len(set(digits)) == 1 or digits.endswith("0000"):
        return True  # "1111111", "1 000 000": repeated digits and round amounts
    span = folded_span.strip()
    if _DATE.fullmatch(span) or _SCORES.fullmatch(span) or _DECIMAL.fullmatch(span):
        return True
    if all(_YEAR.fullmatch(group) for group in groups):
        return True  # "2019-2020 2020-2021"
    # Only the start is compared: a number has at most 15 digits, and a 2,000-digit run must stay cheap.
    steps = {int(b) - int(a) for a, b in itertools.pairwise(digits[:_COMPARED])}
    group_steps = {int(b) - int(a) for a, b in itertools.pairwise(groups[:_COMPARED])}
    # counting "1 2 3 ... 10" or "uno dos tres ..." in a language lesson
    return steps in ({1}, {-1}) or (len(groups) > 2 and group_steps in ({1}, {-1}))


_COMPARED = 48
_DIGIT = re.compile(r"\d")
# At least MIN_DIGITS - 3 (MIN_DIGITS) digits, without building the list of them: the search jumps between digits in
# C, and one that fails has fewer than that many digits left, so at most a few starts are tried.
_FOUR_DIGITS = re.compile(rf"\d(?:\D*+\d){{{MIN_DIGITS - 4}}}")
_SEVEN_DIGITS = re.compile(rf"\d(?:\D*+\d){{{MIN_DIGITS - 1}}}")
# Stretches made only of digits, the letters that stand in for them and separators, not starting inside a word:
# the only places a number can be, so the token scan below never walks ordinary text ("a1a1a1..." costs nothing).
_CANDIDATE = re.compile(r"(?<![^\W\d_])[+(]?[\doilb][\doilb .\-()\u2010-\u2015\u00b7/;|_~*:,+]*+")


def find_phone_numbers(folded: str) -> Iterator[tuple[int, int]]:
    """Yield spans of contact-view text that read as phone numbers (at least MIN_DIGITS digits in one run).

    Spelled numbers are already digits in the contact view (`contact_view`); separators between digit
    groups may be any of space . - ( ) / ; | _ ~ * : , + and letters o/i/l/b next to digits read as 0/1/1/8.
    """
    if _FOUR_DIGITS.search(folded) is None:
        return
    for candidate in _CANDIDATE.finditer(folded):
        # Most candidates are a word's first letters ("li" of "live"): too short to hold the digits, not counted.
        if (
            candidate.end() - candidate.start() >= MIN_DIGITS - 3
            and len(_DIGIT.findall(candidate.group())) >= MIN_DIGITS - 3
        ):
            yield from _scan(folded, candidate.start(), candidate.end())


def _scan(folded: str, low: int, high: int) -> Iterator[tuple[int, int]]:
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(folded, low, high)]
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


def find_library_numbers(
    folded: str, regions: tuple[str, ...] = (), skip: Iterable[tuple[int, int]] = ()
) -> Iterator[tuple[int, int]]:
    """Digit-dense spans that libphonenumber validates as a number of one of the regions (DEFAULT_REGIONS if none).

    libphonenumber's PhoneNumberMatcher costs 2 ms per region on one spaced number and 0.8 s on 2,000 characters
    of digits, so each short digit window (at most a few a message) is parsed and validated instead (70 µs).
    Windows overlapping a `skip` span (numbers already found) are not parsed again.
    """
    if _SEVEN_DIGITS.search(folded) is None:
        return
    known = [r.upper() for r in regions if r.upper() in _SUPPORTED] or list(DEFAULT_REGIONS)
    found = list(skip)
    windows = [
        m
        for m in _WINDOW.finditer(folded)
        if len(_DIGIT.findall(m.group())) >= MIN_DIGITS and not any(s < m.end() and m.start() < e for s, e in found)
    ]
    for window in windows[:_MAX_WINDOWS]:
        groups = _DIGIT_GROUP.findall(window.group())
        if _looks_innocent("".join(groups), groups, window.group()):
            continue
        candidate = ("+" if window.group().startswith("+") else "") + "".join(groups)
        for region in known:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                yield window.span()
                break
