"""Built-in `links` hook: block URLs and bare domains unless the domain is on the deployment's allow-list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from rooms.moderation.config import ModerationConfig
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import texts_to_check
from rooms.moderation.plain import plain_first_pass
from rooms.moderation.verdicts import Action, MessageContext, Verdict

BRIDGEWAY_INLINE = True

# A bare "word.tld" without a path only counts for these, so "hello.how" or "Mr.Smith" typed without a space
# passes; with a path ("x.so/abc") any alphabetic TLD counts. Two-letter words that end sentences are left out.
COMMON_TLDS = frozenset(
    "com net org edu gov mil int info biz io co uk us ca au nz ie de fr es it pt nl be ch lu ru ua pl cz se no dk "
    "fi cn jp kr br mx ar cl pe ma dz tn eg sa ae qa tr eu cat app dev xyz online site website tv gg ly ai live "
    "shop store club top link page blog news fun games".split()
)
_SCHEME_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"']+|\bwww\d{0,3}\.[^\s<>\"']+")
_BARE_DOMAIN = re.compile(
    # Labels read possessively (a label can't end in "-"): backtracking through {0,61} made "a-a-a-…" slow.
    r"(?<![@\w.-])((?:[a-z0-9][a-z0-9-]{0,62}+(?<!-)\.)+([a-z]{2,24}))(?![\w@-])(/[^\s<>\"']*)?"
)
# What every bare domain holds: the end of a label, a dot, two letters. Searched from the dot (the engine jumps between
# dots in C), it rules out "5.99" and "ok." without `_BARE_DOMAIN`'s look-behind at every character.
_LABEL_DOT_TLD = re.compile(r"\.(?<=[a-z0-9]\.)[a-z]{2}")
# Spoken form only with TLDs that are never ordinary words after "point"/"punto" ("punto de vista", "el punto es").
_SPOKEN_TLDS = frozenset({"com", "net", "org", "io", "gg", "info"})
_SPOKEN_DOTS = ("dot", "punto", "point", "nokta")
_SPOKEN_DOMAIN = re.compile(
    # Possessive white space (two adjacent `\s*` were quadratic on blank runs); a label starts only where a run of
    # label characters starts, so "a-a-a-…" is not re-scanned from every letter.
    r"(?<![a-z0-9-])([a-z0-9][a-z0-9-]{1,62})\s*+(?:[(\[{]\s*+)?(?:dot|punto|point|nokta)\s*+(?:[)\]}]\s*+)?([a-z]{2,6})\b"
)


def _host(url: str) -> str:
    if "://" not in url:
        url = "//" + url
    try:
        return (urlsplit(url).hostname or "").strip(".")
    except ValueError:  # malformed ports or brackets: treat as a link to an unknown host
        return ""


def _allowed(host: str, allowlist: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in allowlist)


def find_links(folded: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, host) for each link in folded text (host may be '' when it can't be parsed)."""
    taken: list[tuple[int, int]] = []
    if "://" in folded or "www" in folded:  # what every scheme URL and www address has: most chat has neither
        for match in _SCHEME_URL.finditer(folded):
            taken.append(match.span())
            yield match.start(), match.end(), _host(match.group())
    if "." in folded and _LABEL_DOT_TLD.search(folded):  # a bare domain has a dot between a label and its TLD
        for match in _BARE_DOMAIN.finditer(folded):
            if any(start <= match.start() < end for start, end in taken):
                continue
            tld, path = match.group(2), match.group(3)
            if tld in COMMON_TLDS or path:
                yield match.start(), match.end(), match.group(1)
    # Written out, not `any()` over _SPOKEN_DOTS: four substring searches cost less than the generator around them.
    if not ("dot" in folded or "punto" in folded or "point" in folded or "nokta" in folded):
        return  # the spoken pattern backtracks at every word start: skip it when no spoken dot is there at all
    for match in _SPOKEN_DOMAIN.finditer(folded):
        if match.group(2) in _SPOKEN_TLDS:
            yield match.start(), match.end(), f"{match.group(1)}.{match.group(2)}"


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """BLOCK "link" for any URL, www address, bare or spoken domain ("example dot com") not on the allow-list.

    Subdomains of an allowed domain pass ("en.wikipedia.org" under "wikipedia.org"); look-alikes don't.
    Translations are checked too.
    """
    plain = plain_first_pass(message.text, message.translations)
    if plain is not None:  # its folded text is known already
        views = [plain.folded]
    else:
        views = [view.folded for view in texts_to_check(message.text, message.translations.values())]
    for folded in views:
        for _start, _end, host in find_links(folded):
            if not host or not _allowed(host, config.link_allowlist):
                return Verdict(Action.BLOCK, "link")
    return None
