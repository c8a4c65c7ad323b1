"""Jinja2 environment: autoescaped templates with gettext, CSRF token and language helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format, get_day_names
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from app import i18n
from app.countries import localized_countries, localized_languages
from app.schools.availability import WEEKDAYS
from app.security import csrf_token
from rooms.protocol import client_codes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


def _context(request: Request) -> dict[str, Any]:
    language = i18n.pick_language(request)
    return {
        "lang": language,
        "dir": "rtl" if language in i18n.RTL else "ltr",
        "languages": i18n.LANGUAGES,
        # Override the English name tables views pass in: every page names countries in the reader's language.
        "countries": localized_countries(language),
        "language_names": localized_languages(language),
        "csrf_token": csrf_token(request.session) if "session" in request.scope else "",
        "current_user": request.scope.get("user"),
    }


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@jinja2.pass_context
def when(context: jinja2.runtime.Context, value: datetime, tz: str = "UTC") -> str:
    """``{{ starts_at|when(school.timezone) }}``: weekday, date and time in that zone, named in the page's language
    (CLDR patterns through Babel: "Mon, Jul 5, 2027, 10:00 BST", "lun. 5 juil. 2027, 10:00 BST")."""
    return format_when(value, tz, context.get("lang", i18n.DEFAULT_LANGUAGE))


def format_when(value: datetime, tz: str, language: str) -> str:
    """A moment as people read it in ``language`` and zone ``tz`` (the ``when`` filter, and e-mails)."""
    place = _zone(tz)
    day_text = format_skeleton("yMMMEd", value, tzinfo=place, locale=language)
    clock = f"{format_clock(value, tz, language)} {value.astimezone(place):%Z}"
    return str(get_datetime_format("medium", locale=language)).replace("{1}", day_text).replace("{0}", clock)


def format_clock(value: datetime, tz: str, language: str) -> str:
    """The time of day in zone ``tz``, 24-hour as on every staff page (the ``when`` filter's clock)."""
    return str(format_time(value, "HH:mm", tzinfo=_zone(tz), locale=language))


@jinja2.pass_context
def day(context: jinja2.runtime.Context, value: date) -> str:
    """``{{ d|day }}``: a date in the page's language ("Jul 5, 2027", "5 jul 2027")."""
    return format_date(value, "medium", locale=context.get("lang", i18n.DEFAULT_LANGUAGE))


@jinja2.pass_context
def window(context: jinja2.runtime.Context, text: str) -> Markup:
    """``{{ "Mon 09:00-10:00"|window }}``: our English weekday abbreviation named in the page's language.

    Weekly windows are typed and stored with English abbreviations (the form parses them); only display changes.
    The times are held left-to-right: in an Arabic line Chromium otherwise shows "09:00-15:00" as "15:00-09:00".
    """
    head, _, rest = text.partition(" ")
    if head not in WEEKDAYS:
        return Markup("{}").format(text)
    names = get_day_names("abbreviated", locale=context.get("lang", i18n.DEFAULT_LANGUAGE))
    return Markup('{} <span dir="ltr">{}</span>').format(names[WEEKDAYS.index(head)], rest)


def bdi(value: object) -> Markup:
    """``{{ name|bdi }}``: user text isolated inside a translated sentence, so its direction cannot flip the
    sentence's punctuation (an Arabic name in an English sentence and the other way round)."""
    return Markup("<bdi>{}</bdi>").format(value)


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, extensions=["jinja2.ext.i18n"]
)
_env.policies["ext.i18n.trimmed"] = True
_env.filters.update(when=when, day=day, window=window, bdi=bdi)
# Rendered into the pages with sockets (<script type="application/json" id="protocol">): their scripts read the
# close codes from there and hold no copy.
_env.globals["protocol_codes"] = client_codes()
templates = Jinja2Templates(env=_env, context_processors=[_context])


def _plain_gettext(gettext: Callable[[str], str]) -> Callable[..., str]:
    """``_()`` that returns plain text, so autoescape escapes it on output.

    Jinja's "newstyle" gettext marks the translated string safe (``Markup``): harmless for literal msgids, but
    ``_(error)`` with an error that quotes a submitted value rendered that value as HTML. Returning ``str``
    escapes both the message and its ``%(name)s`` parameters; no msgid contains markup.
    """

    def translate(message: str, **params: object) -> str:
        text = gettext(message)
        if not params:
            return text
        # The message is escaped and so is every value, except one a filter already made markup (``|bdi``).
        return Markup.escape(text) % params

    return translate


def _plain_ngettext(ngettext: Callable[[str, str, int], str]) -> Callable[..., str]:
    def translate(singular: str, plural: str, n: int, **params: object) -> str:
        return ngettext(singular, plural, n) % {"num": n, **params}

    return translate


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render ``name`` in the request's interface language."""
    language = i18n.pick_language(request)
    trans = i18n.translations(language)
    env = templates.env
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_plain_gettext(i18n.template_gettext(language)),
        ngettext=_plain_ngettext(trans.ngettext),
        newstyle=False,
    )
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
