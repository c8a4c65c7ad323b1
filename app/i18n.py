"""Interface languages: gettext catalogues compiled by Babel, picked from a cookie or Accept-Language."""

from __future__ import annotations

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


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)
