"""E-mail addresses and invite links in folded text, with "at"/"dot" spelled in en, es, fr, de and ar."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rooms.moderation.normalise import letter_words

# Spoken "at"/"dot" only in brackets or between spaces, never inside a word ("chat.whatsapp"). A spoken "at" needs
# a spoken "dot" and a mail TLD, or a mail provider: "je suis chez Paul", "bei meiner Oma", "en casa" stay chat.
# Arabic: "ات"/"آت" (at), "نقطة"/"دوت" (dot), folded as normalise.fold folds them.
AT_WORD_LIST = ("at", "arroba", "arobase", "chez", "bei", "en", "\u0627\u062a")
DOT_WORD_LIST = ("dot", "punto", "point", "punkt", "\u0646\u0642\u0637\u0647", "\u062f\u0648\u062a")
AT_WORDS = "(?:" + "|".join(AT_WORD_LIST) + ")"
DOT_WORDS = "(?:" + "|".join(DOT_WORD_LIST) + ")"
# The words are letters only: one standing alone ("(?<!\w)at(?!\w)") is one of the message's `letter_words`, so a
# set look-up rules most messages out before the pattern scans them.
SPOKEN_AT = frozenset(AT_WORD_LIST)
_AT_SIGN = r"\s*+@\s*+"
_AT_WORD = rf"(?:\s*+[(\[{{<]\s*+(?:{AT_WORDS}|@)\s*+[)\]}}>]\s*+|\s++{AT_WORDS}\s++)"
_DOT_WORD = rf"(?:\s*+[(\[{{<]\s*+(?:{DOT_WORDS}|\.)\s*+[)\]}}>]\s*+|\s++{DOT_WORDS}\s++)"
DOT = rf"(?:\s*+\.\s*+|{_DOT_WORD})"
_MAIL_TLDS = r"(?:com|net|org|edu|gov|fr|es|de|at|ch|be|nl|it|pt|co|uk|us|ca|io|me|ma|dz|tn|eg|sa|ae|mx|ar|cl|info|eu)"
# Without a TLD only well-known providers count, so "meet me at school" never reads as an address.
_PROVIDERS = (
    r"(?:gmail|googlemail|hotmail|outlook|yahoo|icloud|protonmail|proton|msn|aol|gmx|yandex|laposte|wanadoo"
    r"|\u062c\u064a\u0645\u064a\u0644|\u0647\u0648\u062a\u0645\u064a\u0644)"
)
_LOCAL = r"(?<![\w.+-])[\w.+-]{1,64}"

_EMAIL = re.compile(rf"{_LOCAL}@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_SPOKEN_EMAIL = re.compile(
    rf"{_LOCAL}(?:{_AT_SIGN}[a-z0-9-]{{2,}}(?:{DOT}[a-z0-9-]{{2,}})*?{DOT}{_MAIL_TLDS}"
    rf"|{_AT_WORD}[a-z0-9-]{{2,}}(?:{DOT}[a-z0-9-]{{2,}})*?{_DOT_WORD}{_MAIL_TLDS}"
    rf"|(?:{_AT_SIGN}|{_AT_WORD}){_PROVIDERS}(?:{DOT}{_MAIL_TLDS})*)(?![\w-])"
)

_SLASH = r"(?:\s*+/\s*+|\s++(?:slash|barra|barre|schragstrich)\s++)"
_INVITE_HOSTS = (
    rf"discord(?:app)?{DOT}(?:gg|com{_SLASH}invite)|chat{DOT}whatsapp{DOT}com|wa{DOT}me|t{DOT}me"
    rf"|telegram{DOT}(?:me|dog)|snapchat{DOT}com{_SLASH}add|kik{DOT}me|line{DOT}me|m{DOT}me|fb{DOT}me"
    rf"|join{DOT}skype{DOT}com|(?:www{DOT})?(?:instagram|tiktok|facebook|twitter|x|roblox|twitch|snapchat|threads"
    rf"|steamcommunity|kakao|qr{DOT}kakao){DOT}(?:com|net|tv)|signal{DOT}(?:me|group)|u{DOT}wechat{DOT}com"
)
_INVITE = re.compile(rf"(?<![\w.-])(?:{_INVITE_HOSTS}){_SLASH}[^\s]+")


_AT_HINT = re.compile(rf"(?<!\w){AT_WORDS}(?!\w)")
# Without an "@" a spoken address ends in a provider or in a spoken or bracketed dot before its TLD (`_DOT_WORD`):
# a plain "." alone is not enough, so "at school." is not searched.
_DOMAIN_HINT = re.compile(rf"{_PROVIDERS}|(?<!\w){DOT_WORDS}(?!\w)|[(\[{{<]\s*+\.")
SLASH_WORDS = frozenset(("slash", "barra", "barre", "schragstrich"))
_SLASH_HINT = re.compile(rf"\b(?:{'|'.join(sorted(SLASH_WORDS))})\b")


def spoken_address_hint(folded: str) -> bool:
    """What a spoken address without "@" has besides its "at" word: a provider, a spoken or bracketed dot."""
    return _DOMAIN_HINT.search(folded) is not None


def find_emails(folded: str) -> Iterator[tuple[int, int]]:
    """Spans of e-mail addresses, written or spoken ("ana arroba gmail punto com", "ana (at) web (punkt) de")."""
    if "@" in folded:
        for match in _EMAIL.finditer(folded):
            yield match.span()
    elif SPOKEN_AT.isdisjoint(letter_words(folded)) or not _AT_HINT.search(folded) or not spoken_address_hint(folded):
        return  # a spoken address needs an "at" word and a provider or a spoken dot: "at school" has neither
    for match in _SPOKEN_EMAIL.finditer(folded):
        yield match.span()


def find_invites(folded: str) -> Iterator[tuple[int, int]]:
    """Spans of invite or profile links of messaging apps, also with spelled or bracketed dots and slashes."""
    if "/" not in folded and not (
        ("slash" in folded or "barr" in folded or "schragstrich" in folded) and _SLASH_HINT.search(folded)
    ):
        return  # every invite link has a path
    for match in _INVITE.finditer(folded):
        yield match.span()
