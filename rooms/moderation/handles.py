"""Messaging-app handles: the app named before or after the handle, in en/es/fr/de/ar, app names in leetspeak."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from operator import itemgetter

from rooms.moderation._alternation import trie
from rooms.moderation.normalise import fold, letter_words

# Leetspeak a student uses on an app's name to get past a filter: "sn4p", "1nst4", "d1sc0rd", "t1kt0k".
_LEET = {"a": "a4@", "e": "e3", "i": "i1l!|", "o": "o0", "s": "s5$", "t": "t7+", "g": "g9", "b": "b8", "l": "l1|"}


def _leet(name: str) -> str:
    parts = []
    for ch in name:
        if ch == " ":
            parts.append(r"\s?")
        elif ch in _LEET:
            parts.append("[" + re.escape(_LEET[ch]) + "]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


# Apps named on their own are enough; "line", "signal", "steam", "switch" are everyday words and only count
# with an id word ("line id: ...") or in "add me on ...".
_STRONG = (
    "snapchat snap snp insta instagram ig tiktok discord whatsapp telegram kik wechat weixin kakaotalk kakao roblox "
    "xbox psn playstation skype facebook fb messenger twitter viber twitch bereal reddit threads fortnite minecraft"
).split()
_WEAK = "line signal steam switch nintendo".split()
_ARABIC = [
    fold(w)
    for w in "سناب سنابي سناب شات انستا انستي انستقرام انستغرام انستجرام تيك توك تيكتوك واتساب واتس "
    "تيليجرام تلغرام تليجرام ديسكورد ديسكورد روبلوكس فيسبوك".split()
]
_MULTI = ["insta gram", "tik tok", "whats app", "we chat", "kakao talk", "snap chat", "تيك توك", "سناب شات"]


def _alternation(names: Iterable[str]) -> str:
    ordered = sorted(set(names), key=len, reverse=True)
    return "(?:" + "|".join(_leet(n) if n.isascii() else re.escape(n) for n in ordered) + ")"


STRONG_APPS = _alternation([*_STRONG, *_MULTI])
_ARABIC_APPS = "(?:\u0627\u0644)?" + _alternation(_ARABIC + [m for m in _MULTI if not m.isascii()])
ALL_APPS = f"(?:{_alternation([*_STRONG, *_WEAK, *_MULTI])}|{_ARABIC_APPS})"
_APPS = f"(?:{STRONG_APPS}|{_ARABIC_APPS})"
_ID_WORDS = (
    r"(?:id|username|user\s?name|user|name|handle|tag|gamertag|usuario|nombre|nick|pseudo|compte|cuenta|account"
    r"|benutzername|nutzername|konto|\u062d\u0633\u0627\u0628\u064a|\u064a\u0648\u0632\u0631)"
)
_IS = r"(?:\b(?:is|es|est|ist|c['\u2019]?est|c)\b|=|:|->|-|\u2014|\u2013)"
_TOKEN = r"(@?[\w.#-]{3,32})"
_POSSESSIVE = r"(?:my|mi|mis|mon|ma|mein|meine|meinen|meiner)"
_ON = r"(?:on|in|en|sur|auf|bei|\u0639\u0644\u064a|\u0641\u064a)"

_PATTERNS_ANY_TOKEN = [
    # "my insta is x", "mi usuario de discord es x", "mon pseudo roblox c'est x", "mein Insta ist x", "my insta's x"
    re.compile(
        rf"\b{_POSSESSIVE}\s++(?:\w+\s+){{0,2}}?{ALL_APPS}(?:['\u2019]s)?(?:\s++{_ID_WORDS})?\s*+{_IS}\s*+{_TOKEN}"
    ),
    # "insta: x", "line id: x", "steam id = x"
    re.compile(rf"(?<!\w){_APPS}(?:\s++{_ID_WORDS})?\s*+(?::|=|->|\u2014|\u2013|-)\s*+{_TOKEN}"),
    re.compile(rf"(?<!\w){ALL_APPS}\s++{_ID_WORDS}\s*+(?::|=|->|\u2014|\u2013|-)?\s*+{_TOKEN}"),
    # "id de line: x", "usuario de discord: x", "pseudo sur roblox : x", "name on xbox = x"
    re.compile(rf"\b{_ID_WORDS}\s++(?:de|del|on|en|sur|auf|bei|von|in)\s++{ALL_APPS}\s*+(?::|=|->)\s*+{_TOKEN}"),
]
_PATTERNS_HANDLE_LIKE = [
    # "snap alice_07", "1nsta maria.lopez10", "tiktok @x", "psn alice_gamer11", "سنابي yasmine_ali"
    re.compile(
        rf"(?<!\w){_APPS}(?!\w)(?:['\u2019]s)?(?:\s++(?:{_ID_WORDS}|me|mich|moi|\u0641\u064a|\u0639\u0644\u064a))?"
        rf"\s*+(?:{_IS}\s*+)?{_TOKEN}"
    ),
]
# "username alice07", "usuario: maria_10": no app named, so only a handle-like token counts
_PATTERNS_ID_WORD = [re.compile(rf"\b{_ID_WORDS}\s*+(?::|=)?\s*+{_TOKEN}")]
# An id word at the start of a word, as a trie that starts with a literal (see `_alternation`): what every match of
# `_PATTERNS_ID_WORD` begins with, searched in C instead of trying each id word at every character.
_ID_WORD_STARTS = (
    "id user name handle tag gamertag usuario nombre nick pseudo compte cuenta account benutzername nutzername "
    "konto \u062d\u0633\u0627\u0628\u064a \u064a\u0648\u0632\u0631".split()
)
_ID_WORD_START = re.compile(trie(_ID_WORD_STARTS, not_after=r"\w"))
# An app name as a word. ("insta's" needs no branch of its own: "'" is not a word character, so "insta" is a word.)
_APP_MENTION = re.compile(rf"(?<!\w){ALL_APPS}(?!\w)")
_WINDOW = 80  # characters either side of an app name that a pattern around it can reach
# "alice_07 on insta", "maria.lopez10 en insta", "lukas.mllr auf insta", "yasmine.ali على الانستا"
_HANDLE_THEN_APP = re.compile(rf"(?<![\w.#@-]){_TOKEN}\s++{_ON}\s++(?:the\s+|la\s+|el\s+|le\s+)?{ALL_APPS}(?!\w)")
_REACH_ME_ON = re.compile(
    r"\b(?:(?:add|follow|dm|message|msg|text|call|find|contact|friend|search|hmu|hit\s+me\s+up|kik|snap)(?:\s+me)?"
    r"\s+(?:on|at|in|via|through)"
    r"|(?:agrega|agregame|a[nñ]ademe|sigueme|escribeme|hablame|buscame|llamame|mandame(?:\s+un\s+mensaje)?)"
    r"\s+(?:en|por|a)"
    r"|(?:ajoute|suis|ecris|contacte|envoie|parle|appelle)(?:[\s-]*moi)?(?:\s+un\s+message)?\s+(?:sur|par|en)"
    r"|(?:add|adde|schreib|folg|such|find|kontaktier|ruf)\s*(?:mich|mir)\s+(?:auf|bei|uber|in)"
    r"|(?:\u0636\u064a\u0641\u0646\u064a|\u062a\u0627\u0628\u0639\u0646\u064a|\u0643\u0644\u0645\u0646\u064a"
    r"|\u0631\u0627\u0633\u0644\u0646\u064a|\u0627\u0636\u0641\u0646\u064a)(?:\s+(?:\u0639\u0644\u064a|\u0641\u064a))?)"
    rf"\s*+{ALL_APPS}(?!\w)"
)
_AT_HANDLE = re.compile(r"(?<![\w@.])@(?=[a-z0-9_.]{0,30}[a-z])([a-z0-9_][a-z0-9_.]{2,29})")
_DISCORD_TAG = re.compile(r"(?<![\w#])[\w.]{2,32}#\d{4}(?!\d)")
# Words that follow "my insta is ..." without being a handle.
NOT_HANDLES = frozenset(
    "private public down broken banned deleted hacked new old boring cool fun great good bad not the a an so very "
    "also mine too blocked weak slow full empty there here same different privado privada publico roto nuevo "
    "prive privee nul bien genial pas privat kaputt neu alt gesperrt leer langweilig".split()
)
_TAG = re.compile(r"#\d")
_INNER_DOT = re.compile(r"[a-z]\.[a-z]")
_QUANTITY = re.compile(r"\d+(?:[.,]\d+)?[km]?")


def handle_like(token: str) -> bool:
    """A token only a username would be: letters with a digit, "_", an inner dot, an "@" or a "#1234" tag."""
    bare = token.strip(".-")
    if len(bare) < 3 or _QUANTITY.fullmatch(bare) or sum(ch.isascii() and ch.isalpha() for ch in bare) < 2:
        return False
    if bare.startswith("@") or "_" in bare or _TAG.search(bare):
        return True
    return any(ch.isdigit() for ch in bare) or bool(_INNER_DOT.search(bare))


_LOWER = "abcdefghijklmnopqrstuvwxyz"
# Leetspeak undone for the quick look below ("sn4p" -> "snap", "1nst4" -> "insta", "d1sc0rd" -> "discord").
_UNLEET = str.maketrans("4@3105$7+98!|", "aaeiosstgbii" + "i")
_LEET_CHAR = re.compile(r"[4@3105$7+98!|]")


def _unleet_char(match: re.Match[str]) -> str:
    return chr(_UNLEET[ord(match.group())])


# Word beginnings of every app name (after undoing leetspeak): "snap" covers "snapchat" and "snap chat".
_STEMS = tuple(
    sorted(
        {
            *"snap snp insta ig tik whats tele kik wechat weixin kakao roblox xbox psn play skype face fb messenger "
            "twitter viber twitch bereal reddit threads fortnite minecraft line signal steam switch nintendo "
            "discord".split(),
            *(fold(w).split()[0] for w in _ARABIC),
            *("\u0627\u0644" + fold(w).split()[0] for w in _ARABIC),
        }
    )
)
# A word (a run of letters and digits) beginning with a stem. Stems are letters only, so a stem found where no
# letter or digit comes before it begins such a word. As a trie: the alternation of 71 stems took up to 10 µs a message.
_STEM_AT_WORD_START = re.compile(trie(_STEMS, not_after=r"[^\W_]"))


def _mentions_an_app(folded: str) -> bool:
    """A cheap over-approximation of "an app is named": word beginnings, not the big alternation at every place."""
    if _LEET_CHAR.search(folded) is None:
        unleeted = folded  # most chat has nothing to undo
    elif folded.isascii():
        unleeted = folded.translate(_UNLEET)
    else:  # str.translate looks up every character of non-ASCII text in the table: replace only the leet ones
        unleeted = _LEET_CHAR.sub(_unleet_char, folded)
    return _STEM_AT_WORD_START.search(unleeted) is not None


_WORD_STARTS = (*_STEMS, *_ID_WORD_STARTS)


def _first_fours(start: str) -> set[str]:
    """What the first four letters of an ASCII word beginning with `start` can be."""
    found = {start[:4]}
    while len(start) < 4:
        start_with = {prefix + letter for prefix in found if len(prefix) == len(start) for letter in _LOWER}
        found |= start_with
        start += "?"  # one more letter now varies
    return found


# The first four letters (or fewer: the whole) of every ASCII word that begins with one of `_WORD_STARTS`: a word's own
# first four letters rule it out with one set look-up before the tuple of 90 starts is tried.
_FIRST_FOUR = frozenset(prefix for start in _WORD_STARTS if start.isascii() for prefix in _first_fours(start))
_FIRST_FOUR_OF = itemgetter(slice(4))  # word -> word[:4]


def plain_words_name_an_app_or_id(words: Iterable[str]) -> bool:
    """Whether the letter words (`letter_words`) of ASCII text without leetspeak hold a word that begins like an app's
    name or an id word. Wherever `_mentions_an_app` or `_ID_WORD_START` find one in such text, this says True: each
    starts a run of letters there (so a letter word), and leetspeak undone changes nothing. On a plain line
    (`plain.Plain.words`: no digit, no "_") it says True exactly where they do."""
    if _FIRST_FOUR.isdisjoint(map(_FIRST_FOUR_OF, words)):  # in C: most words begin like no start at all
        return False
    return any(word[:4] in _FIRST_FOUR and word.startswith(_WORD_STARTS) for word in words)


def _app_windows(folded: str) -> list[tuple[int, int]]:
    """Stretches of text around each app name (merged): the only places the app patterns can match."""
    windows: list[tuple[int, int]] = []
    if not _mentions_an_app(folded):
        return windows
    for match in _APP_MENTION.finditer(folded):
        start, end = max(0, match.start() - _WINDOW), min(len(folded), match.end() + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def find_handles(folded: str, member_names: frozenset[str] = frozenset()) -> Iterator[tuple[int, int]]:
    """Spans of app handles; an "@name" naming a room member (folded, no spaces) is addressing, not a handle."""
    if "@" in folded:
        for match in _AT_HANDLE.finditer(folded):
            if match.group(1).rstrip(".") not in member_names:
                yield match.span()
    if "#" in folded:
        for match in _DISCORD_TAG.finditer(folded):
            yield match.span()
    if (
        folded.isascii()
        and _LEET_CHAR.search(folded) is None
        and not plain_words_name_an_app_or_id(letter_words(folded))
    ):
        return  # no word begins like an app's name or an id word: no other pattern can match (see below)
    for pattern in _PATTERNS_ID_WORD if _ID_WORD_START.search(folded) else ():
        for match in pattern.finditer(folded):
            if handle_like(match.group(1)) and match.group(1).lstrip("@") not in member_names:
                yield match.start(1), match.end(1)
    # Every other pattern names an app: one scan for app names, then the patterns only around them (pos/endpos
    # keep look-behinds seeing the text before the window), so chat without an app name costs one scan.
    for start, end in _app_windows(folded):
        for match in _REACH_ME_ON.finditer(folded, start, end):
            yield match.span()
        for pattern in _PATTERNS_ANY_TOKEN:
            for match in pattern.finditer(folded, start, end):
                token = match.group(1).strip("@.#-")
                if len(token) >= 3 and token not in NOT_HANDLES and not token.isdigit():
                    yield match.start(1), match.end(1)
        for pattern in (*_PATTERNS_HANDLE_LIKE, _HANDLE_THEN_APP):
            for match in pattern.finditer(folded, start, end):
                if handle_like(match.group(1)) and match.group(1).lstrip("@") not in member_names:
                    yield match.start(1), match.end(1)


def member_keys(names: Iterable[str]) -> frozenset[str]:
    """Room members' names as an "@name" would spell them: folded, words joined by nothing, "_", "." or "-"."""
    return _member_keys(tuple(names))  # cached: every message of a room names the same members


@lru_cache(maxsize=1024)
def _member_keys(names: tuple[str, ...]) -> frozenset[str]:
    keys: set[str] = set()
    for name in names:
        words = fold(name).split()
        keys.update(joiner.join(words) for joiner in ("", "_", ".", "-") if words)
    return frozenset(keys)
