"""Built-in `profanity` hook: whole-word word-list matching (en, es, fr, ar) that survives leetspeak and spacing."""

from __future__ import annotations

import re
import string
from functools import lru_cache

from ahocorasick_rs import AhoCorasick

from rooms.moderation.config import ModerationConfig
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import texts_to_check
from rooms.moderation.plain import Plain, plain_first_pass
from rooms.moderation.verdicts import Action, MessageContext, Verdict
from rooms.moderation.wordlist import TOKEN, blocked_words

_ASCII_TOKEN = re.compile(r"[A-Za-z0-9_@$!]+")  # TOKEN on ASCII text, tested from a bitmap instead of Unicode data

BRIDGEWAY_INLINE = True
MASK = "****"
MAX_PHRASE_WORDS = 5

_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t"})
_LEET_L = str.maketrans({"1": "l"})
_LEET_CHARS = frozenset("4@31!0$57")
_STRETCHED = re.compile(r"(.)\1{2,}")
_ARABIC_PREFIXES = ("\u0648", "\u0627\u0644")  # "wa-" and "al-" glued to the word
_ARABIC_PREFIX_STARTS = frozenset(prefix[0] for prefix in _ARABIC_PREFIXES)


def _once(match: re.Match[str]) -> str:
    return match.group(1)


def _twice(match: re.Match[str]) -> str:
    return match.group(1) * 2  # a function, not r"\1\1": Python 3.11 expands a template in Python, 5x slower


@lru_cache(maxsize=4096)
def _candidates(token: str) -> frozenset[str]:
    if token.isalpha() and token.isascii():
        if not _STRETCHED.search(token):
            return frozenset((token,))  # the common case: a plain word is only itself
        # ASCII letters: no "_", leetspeak or Arabic prefix to undo, so only the stretched readings ("fuuuck")
        return frozenset((token, _STRETCHED.sub(_once, token), _STRETCHED.sub(_twice, token)))
    found = {token, token.replace("_", "")}
    if not _LEET_CHARS.isdisjoint(token):
        found |= {token.translate(_LEET), token.translate(_LEET_L).translate(_LEET)}
    for word in list(found):
        if _STRETCHED.search(word):  # "fuuuuck", "shiiiit"
            found |= {_STRETCHED.sub(_once, word), _STRETCHED.sub(_twice, word)}
    for word in list(found):
        for prefix in _ARABIC_PREFIXES:  # "wa-" then "al-": "والزب"
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                word = word[len(prefix) :]
                found.add(word)
    return frozenset(found)


@lru_cache(maxsize=64)
def _prefixes(words: frozenset[str]) -> frozenset[str]:
    """Every proper prefix of every single-word entry: a spelled-out run stops growing once it leaves them."""
    return frozenset(word[:end] for word in words if " " not in word for end in range(1, len(word)))


@lru_cache(maxsize=64)
def _phrase_starts(words: frozenset[str]) -> frozenset[str]:
    return frozenset(entry.split(" ", 1)[0] for entry in words if " " in entry)


def _word_of(token: str) -> str | None:
    """The word a token stands for (its "!"s stripped), or None for one that can't be a word ("12", "!!", "_")."""
    stripped = token.strip("!")
    if stripped and (
        stripped.isalpha() or any(ch.isalpha() or ch in "@$" for ch in stripped) or stripped in _LEET_CHARS
    ):
        return stripped
    return None


# Three lone characters a few characters apart: where every spelled-out word ("f u c k", "f.u.c.k") starts. The
# gaps are read loosely (a lone "2" or "_" that is not a word may stand in one), so this finds a superset.
_LONE = r"(?<![\w@$])[\w@$](?![\w@$])"
_SPELLED_HINT = re.compile(rf"{_LONE}[^\n]{{1,3}}?{_LONE}[^\n]{{1,3}}?{_LONE}")
# `_SPELLED_HINT` with each lone character's look-behind read as the character before it, found in " " + text: the
# pattern starts with a character that is not a word's, which the engine jumps between in C, instead of a look-behind
# tried at every character. (A gap's last character is the one before the next lone character.)
_LONE_AFTER_GAP = r"[\w@$](?![\w@$])"
_SPELLED_AFTER_GAP = re.compile(
    rf"[^\w@$]{_LONE_AFTER_GAP}[^\n]{{0,2}}?[^\w@$\n]{_LONE_AFTER_GAP}[^\n]{{0,2}}?[^\w@$\n]{_LONE_AFTER_GAP}"
)
_ONE_LETTER_WORDS = frozenset(string.ascii_lowercase)  # a plain line's words are runs of a-z
_LETTER_STRETCH = re.compile(r"([a-zA-Z])\1\1")  # "fuuuck": a word of ASCII letters that reads as more than itself
# The same search on ASCII text as one pass of an Aho-Corasick automaton over the 52 triples ("aaa" ... "ZZZ"), in
# Rust: the back-reference made the engine try a match at every character (25,000 instructions on a 120-character
# line, 6,400 this way). Linear in the text like any automaton, and non-overlapping, so at most len/3 matches.
_LETTER_TRIPLES = AhoCorasick([letter * 3 for letter in string.ascii_letters])


def _has_letter_stretch(text: str) -> bool:
    """`_LETTER_STRETCH.search(text) is not None`: an ASCII letter three times in a row. Non-ASCII text keeps the
    regex (the automaton reads UTF-8, which a lone surrogate from JSON cannot be encoded to)."""
    if text.isascii():
        return bool(_LETTER_TRIPLES.find_matches_as_indexes(text))
    return _LETTER_STRETCH.search(text) is not None


@lru_cache(maxsize=64)
def _phrase_rests(words: frozenset[str]) -> dict[str, tuple[frozenset[str], ...]]:
    """For each first word of a listed phrase, the set of words each such phrase goes on with."""
    rests: dict[str, list[frozenset[str]]] = {}
    for entry in words:
        first, _, rest = entry.partition(" ")
        if rest:
            rests.setdefault(first, []).append(frozenset(rest.split(" ")))
    return {first: tuple(sets) for first, sets in rests.items()}


def _nothing_listed(folded: str, words: frozenset[str]) -> bool:
    """True when `find_profanity` would find nothing: no token matches, no phrase is all there, nothing spelled out.

    Most messages hold no listed word; this decides them with a few set operations on the distinct tokens instead
    of `find_profanity`'s work per token. A token of ASCII letters, none three times in a row, reads only as itself
    (`_candidates`), so all of those are checked against the list at once; the others get the full reading. A phrase
    counts as there when its first word is and all its other words are somewhere in the message, and
    `_SPELLED_HINT` finds every spelled-out run: so this never says True where `find_profanity` finds anything.
    """
    tokens = set((_ASCII_TOKEN if folded.isascii() else TOKEN).findall(folded))
    if not words.isdisjoint(tokens):
        return False
    rests = _phrase_rests(words)
    # Every word of the message, and more: each token as typed and without its "!"s.
    present = tokens | {token.strip("!") for token in tokens} if "!" in folded else tokens
    firsts = rests.keys() & tokens
    stretched = _has_letter_stretch(folded)
    letters = "".join(tokens)
    for token in () if letters.isascii() and letters.isalpha() and not stretched else tokens:
        # A letter three times in a row is inside one token: only such a token reads as more than itself.
        if token.isascii() and token.isalpha() and not (stretched and _LETTER_STRETCH.search(token)):
            continue  # ASCII letters, none three times in a row, read only as themselves: checked above
        word = _word_of(token)
        if word is not None:
            if not _candidates(word).isdisjoint(words):
                return False
            if word in rests:
                firsts.add(word)
    if firsts and any(present.issuperset(rest) for first in firsts for rest in rests[first]):
        return False
    return _SPELLED_AFTER_GAP.search(" " + folded) is None


def _plain_and_clean(plain: Plain, words: frozenset[str]) -> bool:
    """`_nothing_listed` on a plain line, from its letter words: those are its tokens (no digit, "_", "@", "$", "!"
    there), each reads only as itself unless a letter is three times in a row (then as its `_candidates`), and a
    spelled-out run needs three one-letter words. A line where a listed phrase's first word is falls back to the full
    check."""
    return (
        words.isdisjoint(plain.words)
        and _phrase_rests(words).keys().isdisjoint(plain.words)
        and (
            not _has_letter_stretch(plain.folded)
            or all(_candidates(word).isdisjoint(words) for word in plain.words if _LETTER_STRETCH.search(word))
        )
        and (_ONE_LETTER_WORDS.isdisjoint(plain.words) or _SPELLED_AFTER_GAP.search(" " + plain.folded) is None)
    )


def find_profanity(folded: str, words: frozenset[str]) -> list[tuple[int, int]]:
    """Folded spans of listed words and phrases, matched as whole words so "class" and "Scunthorpe" pass."""
    return [] if _nothing_listed(folded, words) else _scan(folded, words)


def _scan(folded: str, words: frozenset[str]) -> list[tuple[int, int]]:
    tokens: list[tuple[int, int, str]] = []
    for match in TOKEN.finditer(folded):
        word = _word_of(match.group())
        if word is not None:
            start = match.start() + len(match.group()) - len(match.group().lstrip("!"))
            tokens.append((start, start + len(word), word))
    spans: list[tuple[int, int]] = []
    starts = _phrase_starts(words)
    for index, (start, end, token) in enumerate(tokens):
        if _candidates(token) & words:
            spans.append((start, end))
        if token not in starts:
            continue  # most words begin no listed phrase: skip building phrases from them
        phrase = token
        for last in range(index + 1, min(index + MAX_PHRASE_WORDS, len(tokens))):
            phrase += " " + tokens[last][2]
            if phrase in words:
                spans.append((start, tokens[last][1]))
    spans.extend(_spelled_out(folded, tokens, words))
    return spans


def _spelled_out(folded: str, tokens: list[tuple[int, int, str]], words: frozenset[str]) -> list[tuple[int, int]]:
    """Runs of single characters ("f u c k", "f.u.c.k", "s-h-1-t") joined and checked as one word."""
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int, str]] = []
    for token in [*tokens, (len(folded) + 10, len(folded) + 10, "")]:
        gap_ok = bool(run) and token[0] - run[-1][1] <= 3 and "\n" not in folded[run[-1][1] : token[0]]
        if len(token[2]) == 1 and (gap_ok or not run):
            run.append(token)
            continue
        if len(run) >= 3:
            spans.extend(_spelled_runs(run, words, _prefixes(words)))
        run = [token] if len(token[2]) == 1 else []
    return spans


MAX_SPELLED = 16


def _spelled_runs(
    run: list[tuple[int, int, str]], words: frozenset[str], prefixes: frozenset[str]
) -> list[tuple[int, int]]:
    """Check the windows of one run of single characters, in time linear in the run.

    Repeated characters are grouped first, and a group of three or more stands for one or two ("f u u u c k"),
    as `_candidates` reads a stretched word. A window grows group by group only while the letters so far (as
    typed, or read as leetspeak either way) still begin a listed word, so each start costs a few steps. A
    leading "و"/"ال" may be an Arabic prefix: such windows get the full candidate check instead of pruning.
    """
    groups: list[tuple[str, int, int, int]] = []  # character, count, start, end
    for start, end, ch in run:
        if groups and groups[-1][0] == ch:
            groups[-1] = (ch, groups[-1][1] + 1, groups[-1][2], end)
        else:
            groups.append((ch, 1, start, end))
    spans: list[tuple[int, int]] = []
    last_group = len(groups) - 1
    for first in range(len(groups)):
        prefixed = groups[first][0] in _ARABIC_PREFIX_STARTS
        stack = [(first, "", "", "", 0)]
        while stack:
            index, typed, leet, leet_l, used = stack.pop()
            ch, count, _start, end = groups[index]
            if count == 1:
                options: tuple[int, ...] = (1,)
            elif index == first or count >= 3:  # a window may start inside the group, or it is stretched
                options = (1, 2)
            else:
                options = (count,)
            for copies in options:
                tokens = used + (count if count >= 3 and index != first else copies)
                if tokens > MAX_SPELLED:
                    continue
                grown_typed = typed + ch * copies
                grown_leet = leet + _LEET_CHAR[ch] * copies
                grown_leet_l = leet_l + _LEET_L_CHAR[ch] * copies
                if tokens >= 3 and (
                    grown_typed in words
                    or grown_leet in words
                    or grown_leet_l in words
                    or (prefixed and _candidates(grown_typed) & words)
                ):
                    spans.append((groups[first][2], end))
                if index < last_group and (
                    prefixed or grown_typed in prefixes or grown_leet in prefixes or grown_leet_l in prefixes
                ):
                    stack.append((index + 1, grown_typed, grown_leet, grown_leet_l, tokens))
    return spans


class _LeetTable(dict[str, str]):
    """Character -> its leetspeak reading, computed on first sight (single characters only)."""

    def __init__(self, *tables: dict[int, str]) -> None:
        super().__init__()
        self._tables = tables

    def __missing__(self, ch: str) -> str:
        out = ch
        for table in self._tables:
            out = out.translate(table)
        self[ch] = out
        return out


_LEET_CHAR = _LeetTable(_LEET)
_LEET_L_CHAR = _LeetTable(_LEET_L, _LEET)


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """MASK "profanity" with **** over each listed word; a word found only in a translation HOLDs the message.

    Lists: en, es, fr, ar plus `config.extra_words`, chosen by the text's language (message.language for the
    original, the target language for each translation; all lists when unknown).
    """
    original_words = blocked_words(message.language, config.extra_words)
    plain = plain_first_pass(message.text, message.translations)
    if plain is not None and _plain_and_clean(plain, original_words):
        return None
    views = texts_to_check(message.text, message.translations.values())
    spans = find_profanity(views[0].folded, original_words)
    if spans:
        return Verdict(Action.MASK, "profanity", views[0].mask(spans, MASK))
    for language, translated in message.translations.items():
        folded = texts_to_check(translated, ())[0].folded
        if find_profanity(folded, blocked_words(language, config.extra_words)):
            return Verdict(Action.HOLD, "profanity")
    return None
