"""The cheap checks that let most messages skip a matcher: never skipping a message the matcher would flag.

Each pre-check is compared, on generated text, with what it stands in for: the full scan it guards, or the
pattern it replaced (kept here as the reference). Each new pattern is also run on the pathological inputs of
test_linear_time.py and must stay linear.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.moderation import contact_view as contact_view_module
from rooms.moderation import handles, numbers, phones
from rooms.moderation.emails import AT_WORDS, DOT_WORDS
from rooms.moderation.hooks import address, contact, disclosure, links, profanity
from rooms.moderation.normalise import letter_words, normalise
from rooms.moderation.wordlist import blocked_words
from tests.rooms.moderation.test_linear_time import INPUTS, MAX_CHARS

# Pieces the matchers care about, joined at random: listed words and their disguises, phrase words, number words,
# street and app words, digits, lone letters, the separators of spelled-out words.
_PIECES = [
    "fuck", "f", "u", "c", "k", "sh1t", "shiiit", "fuuuck", "son", "of", "a", "bitch", "me", "cago", "en", "m",
    "fucking", "2", "girls", "1", "cup", "ass", "class", "hits", "blackmailing", "he", "hurt", "i", "want", "to",
    "die", "asked", "for", "photos", "zero", "six", "vierunddreissig", "dreissig", "zwanzig", "zig", "ssig",
    "street", "st", "rue", "calle", "c/", "strasse", "weg", "\u0634\u0627\u0631\u0639", "snap", "sn4p", "1nst4",
    "insta's", "insta", "line", "at", "dot", "punto", "a.b", "a_b", "@", "#", "!", "$", "06", "12", "a1", "\u0648",
    "\u0627\u0644", "\u00e9", "Z", "ABC", "xxx",
]  # fmt: skip
_SEPARATORS = [" ", " ", " ", "", ".", "-", "\n", "!", ", ", "  ", "'", "/"]
TEXTS = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_SEPARATORS)), max_size=14).map(
    lambda parts: "".join(piece + separator for piece, separator in parts)
)
_LISTED = sorted(blocked_words(None))
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "$"})


@st.composite
def _disguised(draw: st.DrawFn) -> str:
    """A listed word or phrase as a student might hide it: spelled out, leetspeak, stretched, with "!"s."""
    entry = draw(st.sampled_from(_LISTED))
    how = draw(st.sampled_from(["spelled", "leet", "stretched", "bang", "plain"]))
    if how == "spelled":
        return draw(st.sampled_from([" ", ".", "-", " . ", "  "])).join(entry.replace(" ", ""))
    if how == "leet":
        return entry.translate(_LEET)
    if how == "stretched":
        return "".join(ch * draw(st.integers(1, 4)) for ch in entry)
    return f"!{entry}!" if how == "bang" else entry


TEXTS = st.one_of(
    TEXTS,
    st.tuples(TEXTS, _disguised(), TEXTS).map(" ".join),
)
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(TEXTS, st.sampled_from([None, "en", "es", "fr", "ar"]))
def test_profanity_precheck_never_skips_a_match(text: str, language: str | None) -> None:
    folded = normalise(text).folded
    for words in (blocked_words(language), blocked_words(language, ("f o o", "spoiler"))):
        if profanity._nothing_listed(folded, words):
            assert profanity._scan(folded, words) == []


@PROPERTY
@given(TEXTS)
def test_disclosure_precheck_never_skips_a_phrase(text: str) -> None:
    folded = normalise(text).folded
    assert disclosure.find_disclosures(folded) == disclosure._scan(letter_words(folded))


_PIECE = re.compile(rf"\d|@|\w[._]\w|(?<!\w)(?:{AT_WORDS}|{DOT_WORDS})(?!\w)")
_STREET_HINT = re.compile(
    rf"(?<!\w){address._EN_STREET}(?!\w)|(?<!\w){address._FR_STREET}(?!\w)|(?<!\w){address._ES_STREET}"
    rf"|{address._DE_STREET}|{address._AR_STREET}"
)
_APP_MENTION = re.compile(rf"(?<!\w){handles.ALL_APPS}(?!\w)|(?<!\w){handles.ALL_APPS}['\u2019]s")
_WORD = re.compile(r"[^\W_]+")


@PROPERTY
@given(TEXTS)
def test_rewritten_checks_match_the_patterns_they_replace(text: str) -> None:
    folded = normalise(text).folded
    assert contact._holds_a_piece(folded) == bool(_PIECE.search(folded))
    assert any(hint.search(folded) for hint in address._STREET_HINTS) == bool(_STREET_HINT.search(folded))
    assert [m.span() for m in handles._APP_MENTION.finditer(folded)] == [
        m.span() for m in _APP_MENTION.finditer(folded)
    ]
    unleeted = folded.translate(handles._UNLEET)
    assert handles._mentions_an_app(folded) == any(word.startswith(handles._STEMS) for word in _WORD.findall(unleeted))
    words = re.findall(r"[^\W\d_]+", folded)
    assert letter_words(folded) == tuple(words)
    compound = ("zig" in folded or "ssig" in folded) and numbers._COMPOUND_ENDING.search(folded) is not None
    assert compound == any(word.endswith(("zig", "ssig")) for word in words)


# Letters three times in a row in every case and script, next to near misses ("aAa", "aa a", "éee", a lone surrogate).
_STRETCH_TEXTS = st.one_of(
    TEXTS,
    st.text(alphabet="aAbzZ \u00e9\u0301\u0430\u00df!1.\ud800", max_size=12),
    st.lists(st.sampled_from(["aaa", "AAA", "aAa", "aa", "a", "zzz", "ZZ", "\u00e9\u00e9\u00e9", "\ud800", " "])).map(
        "".join
    ),
)


@PROPERTY
@given(_STRETCH_TEXTS)
def test_letter_stretch_automaton_answers_as_the_regex(text: str) -> None:
    assert profanity._has_letter_stretch(text) == (profanity._LETTER_STRETCH.search(text) is not None)
    folded = normalise(text).folded
    assert profanity._has_letter_stretch(folded) == (profanity._LETTER_STRETCH.search(folded) is not None)


def test_profanity_precheck_lets_listed_words_through_to_the_scan() -> None:
    words = blocked_words(None)
    for text in ("this is shit", "f u c k", "sh1t!", "fuuuck", "son of a bitch", "me cago en", "ok shiiit ok"):
        folded = normalise(text).folded
        assert not profanity._nothing_listed(folded, words), text
        assert profanity.find_profanity(folded, words), text
    assert profanity._nothing_listed(normalise("I'm at school, see you at 10:30").folded, words)


BUDGET_MS = 10.0


def _ms(check: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(3):
        gc.disable()
        try:
            started = time.thread_time()
            check(text)
            best = min(best, (time.thread_time() - started) * 1000)
        finally:
            gc.enable()
    return best


_WORDS = blocked_words(None)
NEW_MATCHERS: dict[str, Callable[[str], object]] = {
    "profanity._nothing_listed": lambda text: profanity._nothing_listed(text, _WORDS),
    "profanity._SPELLED_HINT": profanity._SPELLED_HINT.search,
    "profanity._LETTER_STRETCH": profanity._LETTER_STRETCH.search,
    "profanity._has_letter_stretch": profanity._has_letter_stretch,
    "contact._holds_a_piece": contact._holds_a_piece,
    "address._STREET_HINTS": lambda text: [hint.search(text) for hint in address._STREET_HINTS],
    "handles._mentions_an_app": handles._mentions_an_app,
    "handles._APP_MENTION": lambda text: list(handles._APP_MENTION.finditer(text)),
    "numbers._COMPOUND_ENDING": lambda text: list(numbers._COMPOUND_ENDING.finditer(text)),
    "letter_words": letter_words.__wrapped__,
    "handles._ID_WORD_START": lambda text: list(handles._ID_WORD_START.finditer(text)),
    "contact_view.SPELLED_HINT": lambda text: list(contact_view_module.SPELLED_HINT.finditer(text)),
    "links._LABEL_DOT_TLD": lambda text: list(links._LABEL_DOT_TLD.finditer(text)),
    "phones._FOUR_DIGITS": phones._FOUR_DIGITS.search,
    "phones._SEVEN_DIGITS": phones._SEVEN_DIGITS.search,
    "profanity._SPELLED_AFTER_GAP": lambda text: list(profanity._SPELLED_AFTER_GAP.finditer(" " + text)),
}


@pytest.mark.parametrize("name", NEW_MATCHERS)
def test_new_matcher_is_linear_on_pathological_input(name: str) -> None:
    check = NEW_MATCHERS[name]
    slow: dict[str, float] = {}
    for label, raw in INPUTS.items():
        text = normalise(raw).folded[:MAX_CHARS]
        full = _ms(check, text)
        if full > BUDGET_MS:
            slow[label] = full
        elif full > 1.0 and full > 8 * max(_ms(check, text[: MAX_CHARS // 4]), 0.05):
            slow[f"{label} (super-linear)"] = full
    assert not slow, f"{name}: over {BUDGET_MS} ms or super-linear: {slow}"
