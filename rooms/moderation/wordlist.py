"""Profanity word lists: each language's curated file (and better-profanity's English list), folded once.

Kept apart from the hook that matches them: reading and folding the lists is start-up work, matching is per message.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from rooms.moderation.normalise import fold

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "es", "fr", "ar")
TOKEN = re.compile(r"[\w@$!]+")  # a word as the lists and the hook read it (leet digits and symbols kept)


@dataclass(frozen=True, slots=True)
class WordList:
    """One language's entries after folding: `words` for any text, `only` for this language, `allow` exempt."""

    words: frozenset[str]
    only: frozenset[str]
    allow: frozenset[str]
    drop: frozenset[str]


_ENTRY_CHARS = re.compile(r"[\w\s@$!.'-]+")


def _canonical(entry: str) -> str:
    if not _ENTRY_CHARS.fullmatch(entry):
        return ""  # upstream regex-like entries ("shi+", "masterbat*") would fold into innocent words
    return " ".join(token.strip("!") for token in TOKEN.findall(fold(entry)))


def parse_wordlist(text: str) -> WordList:
    """Parse the wordlists/<lang>.txt format (see en.txt's header)."""
    buckets: dict[str, set[str]] = {"": set(), "=": set(), "+": set(), "-": set()}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        marker = line[0] if line[0] in "=+-" else ""
        entry = _canonical(line[len(marker) :])
        if entry:
            buckets[marker].add(entry)
    return WordList(*(frozenset(buckets[m]) for m in ("", "=", "+", "-")))


def _upstream_english() -> list[str]:
    spec = importlib.util.find_spec("better_profanity")  # locate without importing (it builds 5 MB at import)
    if spec is None or not spec.submodule_search_locations:
        logger.warning("better-profanity is not installed; English uses Bridgeway's additions only")
        return []
    path = Path(next(iter(spec.submodule_search_locations))) / "profanity_wordlist.txt"
    return path.read_text(encoding="utf-8").splitlines()


@cache
def load_wordlists() -> dict[str, WordList]:
    """Every language's list, read once on first use; English is better-profanity's list adjusted by en.txt."""
    lists: dict[str, WordList] = {}
    for language in LANGUAGES:
        parsed = parse_wordlist(
            (resources.files("rooms.moderation") / "wordlists" / f"{language}.txt").read_text("utf-8")
        )
        if language == "en":
            upstream = {entry for entry in map(_canonical, _upstream_english()) if entry} - parsed.drop
            parsed = WordList(parsed.words | upstream, parsed.only, parsed.allow, parsed.drop)
        lists[language] = parsed
    return lists


def _language_key(language: str | None) -> str | None:
    if not language:
        return None
    key = language.replace("_", "-").split("-")[0].lower()
    return key if key in LANGUAGES else None


@lru_cache(maxsize=64)
def blocked_words(language: str | None, extra_words: tuple[str, ...] = ()) -> frozenset[str]:
    """Entries flagged in text of `language` (None: unknown, so every language's exemptions apply)."""
    lists = load_wordlists()
    words = set().union(*(wl.words for wl in lists.values()))
    words |= {entry for entry in map(_canonical, extra_words) if entry}
    key = _language_key(language)
    if key is None:
        return frozenset(words - set().union(*(wl.allow for wl in lists.values())))
    return frozenset((words | lists[key].only) - lists[key].allow)
