"""Built-in `address` hook: street addresses and postcodes (en, es, fr, de patterns; Arabic street words).

A street address is a house number next to a street word ("17 Maple Street", "12 rue des Lilas", "calle Mayor 23",
"Lindenstraße 12", "شارع الحرية رقم 12"); a postcode is one named as such ("my postcode is …", "PLZ …") or a
postcode of the room's countries in front of a town after a comma (", 75011 Paris"), or a UK postcode anywhere.
Famous addresses ("10 Downing Street", "221B Baker Street") pass unless the writer says it is where they live.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rooms.moderation._alternation import trie
from rooms.moderation.config import ModerationConfig
from rooms.moderation.contact_view import contact_views
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import fold
from rooms.moderation.plain import plain_first_pass
from rooms.moderation.verdicts import Action, MessageContext, Verdict

BRIDGEWAY_INLINE = True
HIDDEN = "[hidden]"

_NUMBER = r"\d{1,4}(?:\s?[a-z])?(?:\s*+(?:bis|ter))?"
# Words a street name is never made of: they make "I ran 5 km down the road" or "plaza a las 6" chat.
_STOP = (
    r"(?!(?:the|a|an|to|of|and|or|my|your|our|his|her|this|that|km|kms|miles?|min|mins|minutes|hours?|times|down"
    r"|up|along|across|on|in|at|from|best|other|same|a|las|los|la|el|en|y|de|les|et|au|um|am|im|zu|und|der|die"
    r"|das)\b)"
)
_NAME_WORD = rf"{_STOP}[a-z][a-z'\u2019-]{{1,20}}"
_EN_STREET = (
    r"(?:street|st|road|rd|lane|ln|avenue|ave|drive|dr|close|way|crescent|court|place|terrace|gardens|grove"
    r"|hill|mews|row|walk|boulevard|blvd)"
)
_FR_STREET = r"(?:rue|avenue|av|boulevard|bd|impasse|allee|chemin|place|quai|route|cours|passage|square|residence)"
_ES_STREET = r"(?:calle|c/|avenida|avda|paseo|plaza|pza|carrera|camino|ronda|travesia|urbanizacion)"
_DE_STREET = r"(?:strasse|str\.?|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad)"
_AR_STREET = r"(?:\u0634\u0627\u0631\u0639|\u0632\u0646\u0642\u0647|\u062f\u0631\u0628|\u0637\u0631\u064a\u0642)"

_ADDRESSES = [
    # "17 Maple Street", "42 Oak Road": number, one to three name words, street word
    re.compile(rf"\b{_NUMBER}\s++(?:{_NAME_WORD}\s++){{1,3}}{_EN_STREET}\b"),
    # "12 rue des Lilas", "5 avenue Jean Jaurès"
    re.compile(rf"\b{_NUMBER},?\s++{_FR_STREET}\s++(?:(?:de|du|des|la|le|l')\s*+)?[a-z][\w'-]{{1,30}}"),
    # "calle Mayor 23", "Avenida de la Constitución 45", "calle del Olmo 7"
    re.compile(
        rf"\b{_ES_STREET}\s++(?:(?:de|del|la|las|los|el)\s++){{0,2}}(?:{_NAME_WORD}\s++){{1,3}}(?:n[o\u00ba.]?\s*+)?"
        r"\d{1,4}\b"
    ),
    # "Lindenstraße 12", "Hauptstr. 5", "Gartenweg 3", "Berliner Straße 12" (short words need a compound)
    re.compile(rf"\b(?:[a-z]{{3,30}}{_DE_STREET}|strasse|str\.)\s*+\d{{1,4}}\s?[a-z]?\b"),
    re.compile(rf"{_AR_STREET}\s++(?:\S+\s++){{1,3}}?(?:\u0631\u0642\u0645\s++)?\d{{1,4}}(?!\d)"),
]
_POSTCODE_WORDS = (
    r"(?:post\s?code|zip(?:\s?code)?|codigo\s+postal|code\s+postal|plz|postleitzahl"
    r"|\u0627\u0644\u0631\u0645\u0632\s+\u0627\u0644\u0628\u0631\u064a\u062f\u064a)"
)
_NAMED_POSTCODE = re.compile(
    rf"\b{_POSTCODE_WORDS}\b\W{{0,3}}(?:\w+\W+){{0,3}}?(\d{{4,5}}|[a-z]{{1,2}}\d[a-z\d]?\s*\d[a-z]{{2}})\b"
)
_UK_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s?\d[abd-hjlnp-uw-z]{2}\b")
# Every UK postcode's end, from its first digit: searched from digits, which the engine jumps between in C, instead of
# trying `_UK_POSTCODE`'s word boundary and letters at every character.
_UK_POSTCODE_END = re.compile(r"\d[a-z\d]?\s?\d[abd-hjlnp-uw-z]{2}")
# ", 75011 Paris", ", D-10115 Berlin"; a four-digit year after a comma ("2023, 2024 and 2025") is not a postcode.
_POSTCODE_TOWN = re.compile(r",\s*+(?:[a-z]-?)?(?!(?:19|20)\d\d\b)\d{4,5}\s++[a-z]{3,}")
_FAMOUS = [
    fold(street)
    for street in (
        "downing street", "baker street", "abbey road", "pennsylvania avenue", "fifth avenue", "wall street",
        "oxford street", "regent street", "carnaby street", "broadway", "sunset boulevard", "champs-elysees",
        "faubourg-saint-honore", "rue de rivoli", "avenue anatole france", "quai d'orsay", "champ-de-mars",
        "gran via", "paseo del prado", "puerta del sol", "plaza mayor", "la rambla", "las ramblas",
        "unter den linden", "platz der republik", "pariser platz", "kurfurstendamm", "alexanderplatz",
        "marienplatz", "konigsallee", "reeperbahn", "jamaa el fna", "rue de la paix", "shaftesbury avenue",
    )
]  # fmt: skip
_FIRST_PERSON = re.compile(
    r"\b(?:i\s+live|i'm\s+at|my\s+(?:address|house|home|flat)|come\s+to|vivo|mi\s+(?:direccion|casa)|ven\s+a"
    r"|j'habite|mon\s+adresse|chez\s+moi|viens|ich\s+wohne|meine\s+adresse|bei\s+mir|komm|wohne"
    r"|\u0639\u0646\u0648\u0627\u0646\u064a|\u0633\u0627\u0643\u0646|\u0627\u0633\u0643\u0646)\b"
)


_ANY_DIGIT = re.compile(r"\d")
# A street word, looked for before the five address patterns run (most numbers are not addresses). One search per
# language: joined in one pattern they cost twice as much (the regex engine optimises none of the branches then).
# The word lists as tries that start with a literal (see `_alternation`): each search was a scan trying every street
# word at every character. Only whether a hint is there counts, so "str" stands for "str." and "strasse" too.
_WORDS_OF = re.compile(r"[^(?:|)\\.?]+")
_STREET_HINTS = tuple(
    re.compile(hint)
    for hint in (
        _AR_STREET,
        trie(_WORDS_OF.findall(_DE_STREET)),
        trie(_WORDS_OF.findall(_ES_STREET), not_after=r"\w"),
        trie({*_WORDS_OF.findall(_EN_STREET), *_WORDS_OF.findall(_FR_STREET)}, not_after=r"\w") + r"(?!\w)",
    )
)
_POSTCODE_HINT = re.compile(_POSTCODE_WORDS)


def find_addresses(folded: str, countries: tuple[str, ...] = ()) -> Iterator[tuple[int, int]]:
    """Spans of street addresses and postcodes in contact-view text."""
    if not _ANY_DIGIT.search(folded):
        return  # every address and postcode pattern needs a digit; most chat has none
    if any(hint.search(folded) for hint in _STREET_HINTS):
        personal = _FIRST_PERSON.search(folded) is not None
        for pattern in _ADDRESSES:
            for match in pattern.finditer(folded):
                if personal or not any(street in match.group() for street in _FAMOUS):
                    yield match.span()
    if _POSTCODE_HINT.search(folded):
        for match in _NAMED_POSTCODE.finditer(folded):
            yield match.span(1)
    if (not countries or any(c.upper() in ("GB", "UK") for c in countries)) and _UK_POSTCODE_END.search(folded):
        for match in _UK_POSTCODE.finditer(folded):
            yield match.span()
    if "," in folded:
        for match in _POSTCODE_TOWN.finditer(folded):
            yield match.start() + 1, match.end()


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """`config.contact_action` with reason "address" (BLOCK, or MASK with "[hidden]") for an address or postcode.

    Famous addresses pass unless the message says it is the writer's ("I live at 10 Downing Street").
    """
    plain = plain_first_pass(message.text, message.translations)
    if plain is not None and plain.numberless:
        return None  # no digit in its contact view: every address and postcode pattern needs one
    views = contact_views(message.text, list(message.translations.values()))
    spans = list(find_addresses(views[0].folded, message.countries))
    if spans:
        if config.contact_action is Action.MASK:
            return Verdict(Action.MASK, "address", views[0].mask(spans, HIDDEN))
        return Verdict(Action.BLOCK, "address")
    if any(True for view in views[1:] for _ in find_addresses(view.folded, message.countries)):
        return Verdict(Action.BLOCK, "address")
    return None
