"""The plain-line fast path (plain.py) against the full path it skips: the same verdicts, masks, alerts and state.

The oracle is the full path itself: the same hooks with `plain_first_pass` answering None (and the handle finder's
word-start shortcut off), which is the code before the fast path. Texts are drawn to land on both sides of every
condition: plain lines made of words that nearly trip a hook ("what" for "whats", "appointment" holding "point",
"idea" beginning like "id", one-letter words, stretched letters, listed words and phrase beginnings, number words),
and the same lines disguised with capitals, digits in words, keycap digits, zero-width characters, homoglyphs,
leetspeak, "@", "/", dots glued to letters; plus the pathological inputs of test_linear_time.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from rooms.moderation import Action, MessageContext, ModerationConfig, Moderator, create_plugin_manager, handles
from rooms.moderation import pipeline as pipeline_module
from rooms.moderation.contact_view import contact_view
from rooms.moderation.hooks import address, contact, disclosure, flood, links, profanity
from rooms.moderation.normalise import letter_words, normalise
from rooms.moderation.plain import plain
from rooms.moderation.wordlist import blocked_words
from tests.rooms.moderation.test_fast_matchers import TEXTS as STRESS_TEXTS
from tests.rooms.moderation.test_linear_time import INPUTS
from tests.rooms.moderation.test_prechecks import PROPERTY

_WORDS = [
    "hello", "what", "whats", "the", "idea", "identity", "username", "name", "nick", "tagging", "instant", "insta",
    "snapple", "snap", "igloo", "ig", "fbi", "line", "linen", "play", "steam", "telescope", "signal", "kik", "at",
    "en", "chez", "dot", "point", "appointment", "punto", "gmail", "hotmail", "slash", "barra", "www", "wwwx", "one",
    "once", "elf", "oh", "o", "six", "un", "dreissig", "zwanzig", "i", "a", "s", "x", "f", "u", "c", "k", "aaa",
    "fuuuck", "shiiit", "shit", "fuck", "ass", "class", "son", "of", "bitch", "me", "cago", "hits", "my", "stepdad",
    "blackmailing", "blackmail", "street", "rue", "calle", "postcode", "plz", "com", "org", "gg", "me", "is", "on",
]  # fmt: skip
_SEPARATORS = [" ", " ", " ", ", ", ". ", "? ", "'", "-", " - ", "  ", "...", ".", "\n", "\t", " \u00bf", "\u00a1 "]
PLAINISH = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), min_size=1, max_size=14).map(
    lambda parts: "".join(word + separator for word, separator in parts)
)
_DISGUISES = [
    lambda t: t, lambda t: t.upper(), lambda t: t.title(), lambda t: t.replace("o", "0"), lambda t: t.replace("a", "4"),
    lambda t: t.replace("i", "!"), lambda t: t.replace("s", "$"), lambda t: t.replace(" ", "\u200b ", 1),
    lambda t: t.replace("a", "\u0430"), lambda t: t.replace("e", "\u00e9"), lambda t: t + " 1\ufe0f\u20e3",
    lambda t: t + " 0\ufe0f\u20e36\ufe0f\u20e3 12 34 56 78", lambda t: t.replace(" ", "2", 1), lambda t: t + "@x",
    lambda t: t.replace(" ", ".", 1), lambda t: t.replace(" ", "/", 1), lambda t: t.replace(" ", "_", 1),
    lambda t: t + " 17 maple street", lambda t: t + " sw1a 1aa", lambda t: " ".join(t),
]  # fmt: skip
DISGUISED = st.tuples(PLAINISH, st.sampled_from(_DISGUISES)).map(lambda pair: pair[1](pair[0]))
TEXTS = st.one_of(PLAINISH, DISGUISED, STRESS_TEXTS, st.sampled_from(sorted(INPUTS.values())))
CONFIGS = st.sampled_from(
    [
        ModerationConfig(hook_timeout=5.0),
        ModerationConfig(hook_timeout=5.0, contact_action=Action.MASK, extra_words=("spoiler", "snap chat")),
        ModerationConfig(hook_timeout=5.0, link_allowlist=("example.com",), shouting_min_letters=4),
    ]
)
MESSAGES = st.tuples(
    st.sampled_from([None, "en", "es", "fr", "ar"]),
    st.sampled_from([(), ("GB",), ("FR", "ES", "MA")]),
    st.sampled_from([(), ("Maria", "Ana Perez")]),
)


@contextmanager
def full_path() -> Iterator[None]:
    """Every hook takes the path it took before the fast path: no plain line, no word-start shortcut."""
    with ExitStack() as stack:
        for module in (pipeline_module, contact, address, disclosure, links, profanity):
            stack.enter_context(mock.patch.object(module, "plain_first_pass", return_value=None))
        stack.enter_context(mock.patch.object(handles, "plain_words_name_an_app_or_id", return_value=True))
        yield


async def _outcomes(config: ModerationConfig, messages: list[MessageContext]) -> list[object]:
    moderator = Moderator(config, create_plugin_manager(load_entrypoints=False))
    found: list[object] = [await moderator.moderate(message) for message in messages]
    contact_hook = moderator.plugin_manager.get_plugin("contact")
    assert isinstance(contact_hook, contact.ContactHook)
    found.append({pid: list(recent) for pid, recent in contact_hook._recent.items()})  # split-detail memory
    return found


@PROPERTY
@given(st.lists(TEXTS, min_size=1, max_size=5), CONFIGS, MESSAGES)
def test_fast_path_gives_the_full_paths_outcomes(
    texts: list[str], config: ModerationConfig, how: tuple[str | None, tuple[str, ...], tuple[str, ...]]
) -> None:
    language, countries, members = how
    # One student sending them seconds apart, so a detail split over the messages is put together too.
    messages = [
        MessageContext(text, language, 7, 1, 1, 1000.0 + 5 * n, countries=countries, member_names=members)
        for n, text in enumerate(texts)
    ]
    fast = asyncio.run(_outcomes(config, messages))
    with full_path():
        full = asyncio.run(_outcomes(config, messages))
    assert fast == full


@PROPERTY
@given(TEXTS)
def test_each_skip_is_exact_where_it_applies(text: str) -> None:
    line = plain(text)
    folded = normalise(text).folded
    if line is not None:
        assert line.folded == folded
        assert line.words == frozenset(letter_words(folded))
    if line is not None and line.numberless:
        view = contact_view(text).folded
        assert view == folded
        assert not any(ch.isdigit() for ch in view)
        assert list(address.find_addresses(view)) == []
        assert contact._holds_a_piece(view, line) == contact._holds_a_piece(view)
    if contact._detail_impossible(line):
        for countries in ((), ("GB", "US")):
            assert list(contact.find_contact_details(contact_view(text).folded, countries)) == []
    for language in (None, "en", "es"):
        words = blocked_words(language, ("spoiler",))
        if line is not None and profanity._plain_and_clean(line, words):
            assert profanity.find_profanity(folded, words) == []
    for view in (folded, contact_view(text).folded):
        if view.isascii() and handles._LEET_CHAR.search(view) is None:
            starts = handles.plain_words_name_an_app_or_id(letter_words(view))
            assert starts or (not handles._mentions_an_app(view) and handles._ID_WORD_START.search(view) is None)
            if line is not None and view == folded:  # on a plain line it is exact both ways
                assert starts == (handles._mentions_an_app(view) or handles._ID_WORD_START.search(view) is not None)


def test_plain_lines_are_the_common_clean_chat() -> None:
    assert plain("What's your favourite subject at school?") is not None
    assert plain("I think the best food in the world is paella, because my gran makes it.") is not None
    assert plain("Me gusta mucho el f\u00fatbol, \u00bfy a ti?") is not None  # accents fold away, "¿" reads nothing
    for text in ("call me at 6", "a.b", "x@y", "hi!", "snap_chat", "s\u200bnap 1\ufe0f\u20e3"):
        assert plain(text) is None, text
    for text in ("meet me at six", "a l i c e"):  # a number word, letters typed one by one: the contact view changes
        line = plain(text)
        assert line is not None
        assert not line.numberless


async def test_plain_pathological_lines_run_untimed_and_fast() -> None:
    # A plain line of up to 2,000 characters gets no CPU-time timer: it must stay cheap however it is built.
    moderator = Moderator(ModerationConfig(), create_plugin_manager(load_entrypoints=False))
    lines = {label: text for label, text in INPUTS.items() if plain(text) is not None}
    assert len(lines) >= 10
    for number, (label, text) in enumerate(lines.items()):
        started = time.thread_time()
        await moderator.moderate(MessageContext(text + " ", "en", number, 1, 1, 1.0))  # not cached by an earlier test
        assert time.thread_time() - started < 0.05, label


def test_plain_words_are_the_letter_words_however_punctuated() -> None:
    for text in (
        "hello from our town",
        "\u00bfQu\u00e9 tal, amigo? it's me - Ana...",
        "well.. ok, fine; no",
        "a-b-c d",
    ):
        line = plain(text)
        if line is not None:
            assert line.words == frozenset(letter_words(normalise(text).folded)), text
    assert plain("\u00bfQu\u00e9 tal, amigo? it's me - Ana...") is not None


def test_plain_stretched_words_are_decided_on_the_fast_path() -> None:
    words = blocked_words("en", ())
    clean = plain("that was sooo good, yesss")
    assert clean is not None
    assert profanity._plain_and_clean(clean, words)  # read as "so", "soo", "yes", "yess"
    listed = plain("you are a biiitch")
    assert listed is not None
    assert not profanity._plain_and_clean(listed, words)
    assert profanity.find_profanity(listed.folded, words) != []


@PROPERTY
@given(st.one_of(TEXTS, st.text(alphabet=" \t\n\u00a0\u2003\u200bab.\u3000\x1c", max_size=12)))
def test_flood_comparable_form_is_the_text_with_single_spaces(text: str) -> None:
    # The shortcut for text already in that form gives what splitting and joining gives.
    assert flood._comparable(text) == " ".join(normalise(text).folded.split())
