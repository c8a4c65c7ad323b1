"""Interface languages: gettext catalogues compiled by Babel, picked from a cookie or Accept-Language."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
RTL = frozenset({"ar"})
DEFAULT_LANGUAGE = "en"
COOKIE = "bw_lang"


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def pick_language(conn: HTTPConnection) -> str:
    """Cookie first (the picker remembers the choice), then the browser's Accept-Language."""
    chosen = conn.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = conn.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


class Phrase(str):
    """A message with values, translated where it is shown: ``Phrase("Line %(n)s: …", n=3)``.

    An f-string bakes the values into the English text, so no catalogue can match it. A Phrase keeps the
    msgid and the values apart and still *is* the English text (a ``str``), so logs, JSON answers and
    ``str(exc)`` work unchanged; templates' ``_()`` and :func:`gettext` translate the msgid first, then fill
    it in. ``pybabel extract -k Phrase`` finds the msgids (docs/i18n.md).
    """

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Phrase:
        phrase = super().__new__(cls, msgid % values if values else msgid)
        phrase.msgid, phrase.values = msgid, values
        return phrase

    def localized(self, gettext: Callable[[str], str]) -> str:
        translated = gettext(self.msgid)
        return translated % self.values if self.values else translated


def message_of(exc: Exception) -> str:
    """The exception's message, a :class:`Phrase` kept as one (``str(exc)`` would flatten it to English)."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, str) else str(exc)


def gettext(language: str, message: str) -> str:
    """``message`` in ``language``; a :class:`Phrase` is translated before its values are filled in."""
    if isinstance(message, Phrase):
        return message.localized(translations(language).gettext)
    return translations(language).gettext(message)


def template_gettext(language: str) -> Callable[[str], str]:
    """The ``_()`` templates call: plain text, which autoescape escapes on output, values and all (a Phrase is
    translated, then filled in; its values are often what someone typed and are never trusted as markup)."""
    plain = translations(language).gettext

    def translate(message: str) -> str:
        return message.localized(plain) if isinstance(message, Phrase) else plain(message)

    return translate
