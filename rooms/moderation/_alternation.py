"""Word-list alternations the regex engine can scan fast: a trie, and no look-behind in front of it.

Python's engine tries every branch of `(?:snap|insta|…)` at every character, and a pattern that starts with a
look-behind gets none of its quick skipping. As a trie (`(?:i(?:g|nsta)|s(?:nap|np))`) each character costs one
test per distinct first letter, and a pattern whose branches all start with a literal lets the engine jump from
one possible first letter to the next in C. A "not preceded by" condition moves behind the first letter, where
it checks the same character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Node = dict[str, "_Node"]
_END = ""  # a key no character can be: a word ends at this node


def _insert(root: _Node, word: str) -> None:
    node = root
    for ch in word:
        node = node.setdefault(ch, {})
    node[_END] = {}


def _emit(node: _Node, after_first: str = "") -> str:
    branches = [re.escape(ch) + after_first + _emit(child) for ch, child in sorted(node.items()) if ch != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if _END in node else body


def trie(words: Iterable[str], not_after: str = "") -> str:
    """A pattern matching exactly the non-empty `words` (as literals), longest reading first along each path.

    `not_after`: a character class (`[^\\W_]`, `\\w`) that must not come just before the match, checked behind the
    first character so the pattern still starts with a literal. Matches where the longer of two listed words
    fits, so use it where only whether (or where) a match starts counts, not which word it was.
    """
    root: _Node = {}
    for word in words:
        if not word:
            raise ValueError("an empty word matches everywhere")
        _insert(root, word)
    return _emit(root, f"(?<!{not_after}[\\s\\S])" if not_after else "")
