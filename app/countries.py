"""ISO-3166 country and ISO-639-1 language names from Babel's CLDR data (no list of our own to maintain)."""

from __future__ import annotations

from functools import cache

from babel import Locale

_EN = Locale("en")
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO"})

COUNTRIES: dict[str, str] = dict(
    sorted(
        (
            (code, name)
            for code, name in _EN.territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        ),
        key=lambda item: item[1],
    )
)

# Languages a class can declare: those with two-letter codes in CLDR.
LANGUAGE_NAMES: dict[str, str] = dict(
    sorted(
        ((code, name) for code, name in _EN.languages.items() if len(code) == 2 and code.isalpha()), key=lambda i: i[1]
    )
)


@cache
def localized_countries(in_language: str) -> dict[str, str]:
    """COUNTRIES named in the interface language, sorted by that name (CLDR data via Babel)."""
    names = Locale.parse(in_language).territories
    return dict(sorted(((code, str(names.get(code, en))) for code, en in COUNTRIES.items()), key=lambda i: i[1]))


@cache
def localized_languages(in_language: str) -> dict[str, str]:
    """LANGUAGE_NAMES named in the interface language, sorted by that name."""
    names = Locale.parse(in_language).languages
    return dict(sorted(((code, str(names.get(code, en))) for code, en in LANGUAGE_NAMES.items()), key=lambda i: i[1]))


def language_name(code: str, in_language: str = "en") -> str:
    """The name of language ``code`` written in ``in_language`` (e.g. "espagnol" for es in fr)."""
    try:
        return str(Locale(in_language).languages.get(code, code))
    except Exception:
        return LANGUAGE_NAMES.get(code, code)
