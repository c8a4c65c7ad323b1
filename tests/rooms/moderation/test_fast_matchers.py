"""The faster matchers against the ones they replaced: the old pattern or function is kept here as the oracle.

Each rewrite is either a pre-check in front of an unchanged matcher (it must find something wherever the matcher
does) or a new form of the same test (it must answer exactly as the old one). Texts are drawn from pieces that
stress them: digits in every script, keycaps, spelled numbers, "at"/"dot" words, app and street words, leetspeak,
lone letters and separators. The new patterns' linear time is checked with the others in test_prechecks.py.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rooms.moderation import MessageContext, ModerationConfig, emails, handles, numbers, phones
from rooms.moderation import contact_view as contact_view_module
from rooms.moderation._alternation import trie
from rooms.moderation.contact_view import contact_view
from rooms.moderation.hooks import address, contact, links, profanity, shouting
from rooms.moderation.normalise import fold_char, letter_words, normalise
from rooms.moderation.numbers import spelled_numbers
from tests.rooms.moderation.test_prechecks import PROPERTY
from tests.rooms.moderation.test_prechecks import TEXTS as PRECHECK_TEXTS

_PIECES = [
    "0\ufe0f\u20e3", "6\ufe0f\u20e3", "\uff10\uff16", "\u0660\u0666", "\u2476", "seis", "doce", "treinta y cuatro",
    "z\u00e9ro six", "trente-quatre", "quatre-vingt-dix", "un", "deux", "null", "eins", "zwo", "vierunddreissig",
    "double", "oh", "o", "seven", "nine hundred", "\u062e\u0645\u0633\u0629", "\u0648\u0639\u0634\u0631\u064a\u0646",
    "gm\u0430il", "\u0455nap", "gmail", "com", "(at)", "[dot]", "at", "dot", "arroba", "punkt", "en", "chez",
    "example.com", "x.io/a", "www.site.org", "google dot com", "a.b", "5.99", "ok.", "-.ab", "a-.cd", "discord.gg/x",
    "slash", "barra", "/", "@", "#", "$", "!", "|", "+", "4", "1", "3", "_", "snap", "sn4p", "$nap", "1nst4", "ig",
    "tiktok", "whats app", "line", "2snap", "id", "kid", "user", "username", "name", "gamertag", "usuario",
    "\u062d\u0633\u0627\u0628\u064a", "street", "st", "rue", "calle", "c/", "avda", "strasse", "str.", "weg",
    "\u0634\u0627\u0631\u0639", "a l i c e", "f u c k", "f.u.c.k", "s h 1 t", "a", "b", "c", "qxxxq", "fuuuck",
    "sooo", "shiiit", "\u0627\u0644", "\u0648", "\u00e9", "ABC", "\u200b", "\u3002", "07700 900 414",
    "(555) 123-4567", "12/05/2024", "2019", "3-2",
]  # fmt: skip
_SEPARATORS = [" ", " ", " ", "", ".", "-", "\n", "!", ", ", "  ", "/", " . ", "_", ":", "'"]
STRESS = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_SEPARATORS)), max_size=16).map(
    lambda parts: "".join(piece + separator for piece, separator in parts)
)
TEXTS = st.one_of(STRESS, PRECHECK_TEXTS, st.text(alphabet="ab1 .@$!_-/\n\u0648", max_size=40))


def _folded(text: str) -> list[str]:
    """The two texts the matchers read: the normalised text and the contact view."""
    return [normalise(text).folded, contact_view(text).folded]


# The patterns these rewrites replaced, as they were.
_OLD_STEM_AT_WORD_START = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, handles._STEMS)) + ")")


@PROPERTY
@given(TEXTS)
def test_rewritten_patterns_answer_as_the_old_ones(text: str) -> None:
    for folded in _folded(text):
        unleeted = folded.translate(handles._UNLEET)
        assert handles._mentions_an_app(folded) == bool(_OLD_STEM_AT_WORD_START.search(unleeted))
        assert (phones._FOUR_DIGITS.search(folded) is not None) == (len(re.findall(r"\d", folded)) >= 4)
        assert (phones._SEVEN_DIGITS.search(folded) is not None) == (len(re.findall(r"\d", folded)) >= 7)
        spelled = profanity._SPELLED_HINT.search(folded) is not None
        assert (profanity._SPELLED_AFTER_GAP.search(" " + folded) is not None) == spelled


@PROPERTY
@given(TEXTS)
def test_prechecks_find_something_wherever_the_matcher_does(text: str) -> None:
    for folded in _folded(text):
        words = set(letter_words(folded))
        if handles._PATTERNS_ID_WORD[0].search(folded):
            assert handles._ID_WORD_START.search(folded)
        if contact_view_module._SPELLED.search(folded):
            assert contact_view_module.SPELLED_HINT.search(folded)
        if address._UK_POSTCODE.search(folded):
            assert address._UK_POSTCODE_END.search(folded)
        if links._BARE_DOMAIN.search(folded):
            assert links._LABEL_DOT_TLD.search(folded)
        if emails._AT_HINT.search(folded):
            assert not emails.SPOKEN_AT.isdisjoint(words)
        if emails._SLASH_HINT.search(folded):
            assert "slash" in folded or "barr" in folded or "schragstrich" in folded
        if contact._SPOKEN.search(folded):
            assert not contact._SPOKEN_WORDS.isdisjoint(words)


@PROPERTY
@given(TEXTS)
def test_number_words_skipped_before_the_reader_are_no_number(text: str) -> None:
    folded = normalise(text).folded
    reader = numbers._Reader(folded)
    for index, (_start, _end, word) in enumerate(reader.tokens):
        if word not in numbers._VOCABULARY and not word.startswith("\u0648") and not word.endswith(("zig", "ssig")):
            assert reader.number(index) is None
            assert word not in numbers._OH


def _old_candidates(token: str) -> frozenset[str]:
    """`profanity._candidates` before ASCII words got a path of their own."""
    if token.isalpha() and token.isascii() and not profanity._STRETCHED.search(token):
        return frozenset((token,))
    found = {token, token.replace("_", "")}
    if not profanity._LEET_CHARS.isdisjoint(token):
        found |= {token.translate(profanity._LEET), token.translate(profanity._LEET_L).translate(profanity._LEET)}
    for word in list(found):
        if profanity._STRETCHED.search(word):
            found |= {profanity._STRETCHED.sub(profanity._once, word), profanity._STRETCHED.sub(profanity._twice, word)}
    for word in list(found):
        for prefix in profanity._ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                word = word[len(prefix) :]
                found.add(word)
    return frozenset(found)


@PROPERTY
@given(st.text(alphabet="aabkfuuuxxq_4@31!0$57\u0648\u0627\u0644", min_size=1, max_size=12) | STRESS)
def test_profanity_candidates_as_before(token: str) -> None:
    for word in [token, *re.findall(r"[\w@$!]+", normalise(token).folded)]:
        assert profanity._candidates.__wrapped__(word) == _old_candidates(word)


def _old_contact_view(text: str) -> tuple[str, tuple[int, ...] | None]:
    """The contact view's text and offsets as `contact_view` built them before (one offset looked up per char)."""
    base = normalise(text)
    folded = base.folded
    replacements = list(spelled_numbers(folded))
    taken = [(start, end) for start, end, _ in replacements]
    spelled = contact_view_module._spelled_letters(folded)
    replacements += [r for r in spelled if not any(s < r[1] and r[0] < e for s, e in taken)]
    if not replacements:
        return base.folded, base.offsets
    replacements.sort()
    pieces: list[str] = []
    offsets: list[int] = []
    cursor = 0
    for start, end, digits in replacements:
        pieces.append(folded[cursor:start])
        offsets.extend(contact_view_module._origin(base, i) for i in range(cursor, start))
        pieces.append(digits)
        first, last = contact_view_module._origin(base, start), contact_view_module._origin(base, end - 1)
        offsets.extend([first] + [last] * (len(digits) - 1))
        cursor = end
    pieces.append(folded[cursor:])
    offsets.extend(contact_view_module._origin(base, i) for i in range(cursor, len(folded)))
    return "".join(pieces), tuple(offsets)


@PROPERTY
@given(TEXTS)
def test_contact_view_as_before(text: str) -> None:
    view = contact_view.__wrapped__(text)
    assert (view.folded, view.offsets) == _old_contact_view(text)


# Where a street word is looked for: `_STREET_HINTS` was these patterns, each scanned with its look-behind.
_OLD_STREET_HINTS = (
    re.compile(address._DE_STREET),
    re.compile(rf"(?<!\w){address._ES_STREET}"),
    re.compile(rf"(?<!\w)(?:{address._EN_STREET}|{address._FR_STREET})(?!\w)"),
)


@PROPERTY
@given(TEXTS)
def test_street_hints_as_before(text: str) -> None:
    for folded in _folded(text):
        for new, old in zip(address._STREET_HINTS[1:], _OLD_STREET_HINTS, strict=True):
            assert bool(new.search(folded)) == bool(old.search(folded)), (new.pattern, folded)


_WORDS = st.lists(st.text(alphabet="abc_\u0648.", min_size=1, max_size=4), min_size=1, max_size=6)


@PROPERTY
@given(_WORDS, st.text(alphabet="abc_\u0648. 1", max_size=30), st.sampled_from(["", r"\w", r"[^\W_]"]))
def test_trie_matches_where_the_alternation_does(words: list[str], text: str, not_after: str) -> None:
    longest_first = sorted(set(words), key=len, reverse=True)
    alternation = re.compile(
        (f"(?<!{not_after})" if not_after else "") + "(?:" + "|".join(map(re.escape, longest_first)) + ")"
    )
    compiled = re.compile(trie(words, not_after))
    assert [m.start() for m in compiled.finditer(text)] == [m.start() for m in alternation.finditer(text)]
    assert [m.span() for m in compiled.finditer(text)] == [m.span() for m in alternation.finditer(text)]


def _old_normalise(text: str) -> tuple[str, tuple[int, ...] | None]:
    """`normalise` before it folded a whole text at once (one offset list extended per character)."""
    if text.isascii() and text.isprintable():
        return text.lower(), None
    folded: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        out = fold_char(ch)
        folded.append(out)
        offsets.extend([index] * len(out))
    return "".join(folded), tuple(offsets)


@PROPERTY
@given(TEXTS | st.text(max_size=30))
def test_normalise_as_before(text: str) -> None:
    view = normalise.__wrapped__(text)
    assert (view.folded, view.offsets) == _old_normalise(text)


@PROPERTY
@given(
    st.text(alphabet="aAbB \u00e9\u00c9\u0627!", max_size=40),
    st.integers(1, 20),
    st.floats(0.01, 1.0),
)
def test_shouting_skips_only_what_it_would_not_mask(text: str, min_letters: int, ratio: float) -> None:
    config = ModerationConfig(shouting_min_letters=min_letters, shouting_ratio=ratio)
    upper, lower = sum(map(str.isupper, text)), sum(map(str.islower, text))
    old = text != text.lower() and upper + lower >= min_letters and upper >= ratio * (upper + lower)
    message = MessageContext(text, "en", 1, 1, 1, 0.0)
    assert (shouting.moderate_message(message, config) is not None) == old
