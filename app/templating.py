"""Jinja2 environment: autoescaped templates with gettext, CSRF token and language helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from app import i18n
from app.countries import localized_countries, localized_languages
from app.security import csrf_token

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


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, extensions=["jinja2.ext.i18n"]
)
_env.policies["ext.i18n.trimmed"] = True
templates = Jinja2Templates(env=_env, context_processors=[_context])


def _plain_gettext(gettext: Callable[[str], str]) -> Callable[..., str]:
    """``_()`` that returns plain text, so autoescape escapes it on output.

    Jinja's "newstyle" gettext marks the translated string safe (``Markup``): harmless for literal msgids, but
    ``_(error)`` with an error that quotes a submitted value rendered that value as HTML. Returning ``str``
    escapes both the message and its ``%(name)s`` parameters; no msgid contains markup.
    """

    def translate(message: str, **params: object) -> str:
        text = gettext(message)
        return text % params if params else text

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
        gettext=_plain_gettext(trans.gettext), ngettext=_plain_ngettext(trans.ngettext), newstyle=False
    )
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
