"""Built-in `disclosure` hook: a child saying they are hurt, threatened or asked for photos is heard, not blocked.

The message is delivered as it is (ALLOW) and the verdict carries an `alert` ("disclosure_harm",
"disclosure_threat", "disclosure_photos", "disclosure_fear") so the service raises a safeguarding alert at once.
Blocking would teach the child that telling doesn't work. Phrases per language live in
rooms/moderation/wordlists/disclosure/<lang>.txt (format in en.txt); every language's list is checked on every message,
since the language a student writes in is not always the one they chose.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rooms.moderation.config import ModerationConfig
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import fold, letter_words, texts_to_check
from rooms.moderation.plain import plain_first_pass
from rooms.moderation.verdicts import Action, MessageContext, Verdict

BRIDGEWAY_INLINE = True
LANGUAGES = ("en", "es", "fr", "de", "ar")
KINDS = ("harm", "threat", "photos", "fear")
MAX_GAP = 1  # other words allowed between two words of a phrase: "asked me for some photos"
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Phrase:
    kind: str
    words: tuple[str, ...]  # folded; a trailing "*" matches any word with that prefix


def _matches(pattern: str, word: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


def parse_phrases(text: str) -> list[Phrase]:
    """Parse one language's list ("kind: words" a line, "#" comments); unknown kinds are an error."""
    phrases = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, words = line.partition(":")
        if kind.strip() not in KINDS or not words.strip():
            raise ValueError(f"line {number}: expected 'kind: words' with kind one of {', '.join(KINDS)}")
        folded = _WORD.findall(fold(words))
        if words.rstrip().endswith("*"):
            folded[-1] += "*"
        phrases.append(Phrase(kind.strip(), tuple(folded)))
    return phrases


@dataclass(frozen=True, slots=True)
class PhraseIndex:
    """Single words (exact, and prefixes for "word*"), and longer phrases under their first two words."""

    words: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]
    pairs: dict[tuple[str, str], tuple[Phrase, ...]]


@cache
def phrase_index() -> PhraseIndex:
    """Every language's phrases, read once on first use."""
    words: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    pairs: defaultdict[tuple[str, str], list[Phrase]] = defaultdict(list)
    for language in LANGUAGES:
        source = resources.files("rooms.moderation") / "wordlists" / "disclosure" / f"{language}.txt"
        for phrase in parse_phrases(source.read_text("utf-8")):
            if len(phrase.words) == 1 and phrase.words[0].endswith("*"):
                prefixes.append((phrase.words[0][:-1], phrase.kind))
            elif len(phrase.words) == 1:
                words[phrase.words[0]] = phrase.kind
            else:
                pairs[phrase.words[0], phrase.words[1]].append(phrase)
    return PhraseIndex(words, tuple(prefixes), {key: tuple(value) for key, value in pairs.items()})


def find_disclosures(folded: str, words: Collection[str] | None = None) -> list[str]:
    """The kinds of disclosure phrases in folded text, in order of appearance.

    `words`: its letter words when the caller has them already (a plain line's set), for the first look-up.
    Linear: each word is looked up with each of the next MAX_GAP + 1 words as a pair, and only the phrases under
    that pair are checked against the words after it.
    """
    if _first_words().isdisjoint(letter_words(folded) if words is None else words):
        prefixes = _prefix_hint()
        if prefixes is None or prefixes.search(folded) is None:
            return []  # no word can begin a phrase (most messages): one set and one substring search decide it
    return _scan(letter_words(folded))


def _scan(words: tuple[str, ...]) -> list[str]:
    index = phrase_index()
    firsts = _first_words()
    prefixes = _prefixes()
    kinds: list[str] = []
    for start, word in enumerate(words):
        if word not in firsts and not (prefixes and word.startswith(prefixes)):
            continue
        found = [index.words[word]] if word in index.words else []
        found += [kind for prefix, kind in index.prefixes if word.startswith(prefix)]
        for step in range(1, MAX_GAP + 2):
            if start + step >= len(words):
                break
            for phrase in index.pairs.get((word, words[start + step]), ()):
                if _phrase_at(phrase, words, start + step, 2):
                    found.append(phrase.kind)
        kinds += [kind for kind in found if kind not in kinds]
    return kinds


@cache
def _first_words() -> frozenset[str]:
    index = phrase_index()
    return frozenset(index.words) | frozenset(first for first, _second in index.pairs)


@cache
def _prefix_hint() -> re.Pattern[str] | None:
    """Any of the "word*" prefixes anywhere in the text (None when there are none)."""
    return re.compile("|".join(map(re.escape, _prefixes()))) if _prefixes() else None


@cache
def _prefixes() -> tuple[str, ...]:
    return tuple(prefix for prefix, _kind in phrase_index().prefixes)


def _phrase_at(phrase: Phrase, words: tuple[str, ...], position: int, matched: int) -> bool:
    """Whether the rest of the phrase (after `matched` words, the last at `position`) follows within the gaps."""
    for pattern in phrase.words[matched:]:
        for step in range(1, MAX_GAP + 2):
            if position + step < len(words) and _matches(pattern, words[position + step]):
                position += step
                break
        else:
            return False
    return True


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """ALLOW with `alert="disclosure_<kind>"` when the message (or a translation) discloses harm; else None."""
    plain = plain_first_pass(message.text, message.translations)
    if plain is not None:  # its folded text and letter words are known already
        kinds = find_disclosures(plain.folded, plain.words)
        return Verdict(Action.ALLOW, None, alert=f"disclosure_{kinds[0]}") if kinds else None
    for view in texts_to_check(message.text, message.translations.values()):
        kinds = find_disclosures(view.folded)
        if kinds:
            return Verdict(Action.ALLOW, None, alert=f"disclosure_{kinds[0]}")
    return None
