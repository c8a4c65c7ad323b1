"""Built-in `contact` hook: stop students sharing e-mail addresses, phone numbers, handles and invite links."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rooms.hookspecs import hookimpl
from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation_phone import find_phone_numbers
from rooms.moderation_text import texts_to_check

BRIDGEWAY_INLINE = True
HIDDEN = "[hidden]"

# Spoken "at"/"dot" only in brackets or between spaces, never inside a word ("chat.whatsapp"); a spoken "at"
# needs a spoken "dot" or a mail provider, so "look at example.com" stays a link, not an address.
_AT_SIGN = r"\s*@\s*"
_AT_WORD = r"(?:\s*[(\[{<]\s*(?:at|arroba|arobase)\s*[)\]}>]\s*|\s+(?:at|arroba|arobase)\s+)"
_DOT_WORD = r"(?:\s*[(\[{<]\s*(?:dot|punto|point)\s*[)\]}>]\s*|\s+(?:dot|punto|point)\s+)"
_DOT = rf"(?:\s*\.\s*|{_DOT_WORD})"
_MAIL_TLDS = r"(?:com|net|org|edu|gov|fr|es|de|it|pt|co|uk|io|me|ma|dz|tn|eg|mx|ar|info)"
# Without a ".com" only well-known providers count, so "meet me at school" never reads as an address.
_PROVIDERS = r"(?:gmail|googlemail|hotmail|outlook|yahoo|icloud|protonmail|proton|msn|aol|gmx|yandex|laposte|wanadoo)"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}(?:{_AT_SIGN}[a-z0-9-]{{2,}}{_DOT}{_MAIL_TLDS}"
    rf"|{_AT_WORD}[a-z0-9-]{{2,}}{_DOT_WORD}{_MAIL_TLDS}|(?:{_AT_SIGN}|{_AT_WORD}){_PROVIDERS}(?:{_DOT}{_MAIL_TLDS})?)(?![\w-])"
)
_INVITE = re.compile(
    r"(?<![\w.-])(?:discord(?:app)?\s*\.\s*(?:gg|com\s*/\s*invite)|chat\s*\.\s*whatsapp\s*\.\s*com|wa\s*\.\s*me"
    r"|t\s*\.\s*me|telegram\s*\.\s*(?:me|dog)|snapchat\s*\.\s*com\s*/\s*add|kik\s*\.\s*me|line\s*\.\s*me"
    r"|m\s*\.\s*me|fb\s*\.\s*me|join\s*\.\s*skype\s*\.\s*com|(?:www\.)?(?:instagram|tiktok|facebook|twitter|x"
    r"|roblox|twitch|snapchat|threads)\s*\.\s*(?:com|net|tv)|signal\s*\.\s*(?:me|group))\s*/\s*[^\s]+"
)
_HANDLE = re.compile(r"(?<![\w@.])@(?=[a-z0-9_.]*[a-z])[a-z0-9_][a-z0-9_.]{2,29}")
_DISCORD_TAG = re.compile(r"(?<![\w#])[\w.]{2,32}#\d{4}(?!\d)")

_APPS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|ig|discord|tik\s?tok|whats\s?app|telegram|kik|we\s?chat|skype|facebook|fb"
    r"|messenger|twitter|viber|roblox|xbox|psn|playstation|twitch|bereal|reddit|youtube|minecraft|fortnite)"
)
_HANDLE_TOKEN = r"(@?[\w.#-]{3,32})"
_MY_APP_IS = re.compile(
    rf"\b(?:my|mi|mon|ma)\s+{_APPS}(?:\s+(?:username|user|name|id|handle|usuario|nombre|pseudo|compte|cuenta"
    rf"|account|tag))?\s*(?:is|es|est|c['\u2019]?est|=|:|->|-)?\s*{_HANDLE_TOKEN}"
)
_APP_COLON = re.compile(rf"\b{_APPS}\s*(?::|=|->|\u2014|\u2013|-)\s*{_HANDLE_TOKEN}")
_REACH_ME_ON = re.compile(
    r"\b(?:(?:add|follow|dm|message|msg|text|call|find|contact|friend|search|hmu|hit\s+me\s+up)(?:\s+me)?"
    r"\s+(?:on|at|in|via|through)"
    r"|(?:agrega|agregame|a[nñ]ademe|sigueme|escribeme|hablame|buscame|llamame|mandame(?:\s+un\s+mensaje)?)"
    r"\s+(?:en|por|a)"
    r"|(?:ajoute|suis|ecris|contacte|envoie|parle|appelle)(?:[\s-]*moi)?(?:\s+un\s+message)?\s+(?:sur|par|en))"
    rf"\s+{_APPS}\b(?:\s+(?=\S*[@#_\d.])\S{{1,40}})?"
)
# Words that follow "my insta is ..." without being a handle.
_NOT_HANDLES = frozenset(
    "private public down broken banned deleted hacked new old boring cool fun great good bad not the a an so very "
    "also mine too blocked privado privada publico roto nuevo prive privee nul bien genial pas".split()
)

# Most specific first: that order names the verdict's reason when one message has several kinds.
_REASON_ORDER = ("contact_email", "contact_invite", "contact_phone", "contact_handle")


def find_contact_details(folded: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, reason) for every contact detail in folded text; spans may overlap."""
    for pattern in (_EMAIL, _SPOKEN_EMAIL):
        for match in pattern.finditer(folded):
            yield match.start(), match.end(), "contact_email"
    for match in _INVITE.finditer(folded):
        yield match.start(), match.end(), "contact_invite"
    for start, end in find_phone_numbers(folded):
        yield start, end, "contact_phone"
    for pattern in (_HANDLE, _DISCORD_TAG, _REACH_ME_ON):
        for match in pattern.finditer(folded):
            yield match.start(), match.end(), "contact_handle"
    for pattern in (_MY_APP_IS, _APP_COLON):
        for match in pattern.finditer(folded):
            handle = match.group(1)
            if handle.strip("@.#-") and handle.lower() not in _NOT_HANDLES:
                yield match.start(1), match.end(1), "contact_handle"


def _first_reason(reasons: set[str]) -> str:
    return next(reason for reason in _REASON_ORDER if reason in reasons)


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """`config.contact_action` (BLOCK, or MASK with "[hidden]") for contact details in the message.

    A detail found only in a translation can't be located in the original text to mask, so it BLOCKs.
    """
    views = texts_to_check(message.text, message.translations.values())
    found = list(find_contact_details(views[0].folded))
    if found:
        reason = _first_reason({r for _s, _e, r in found})
        if config.contact_action is Action.MASK:
            return Verdict(Action.MASK, reason, views[0].mask(((s, e) for s, e, _r in found), HIDDEN))
        return Verdict(Action.BLOCK, reason)
    for view in views[1:]:
        reasons = {reason for _s, _e, reason in find_contact_details(view.folded)}
        if reasons:
            return Verdict(Action.BLOCK, _first_reason(reasons))
    return None
