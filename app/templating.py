"""Jinja2 environment: autoescaped templates with gettext, CSRF token and language helpers."""

from __future__ import annotations

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


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render ``name`` in the request's interface language."""
    language = i18n.pick_language(request)
    trans = i18n.translations(language)
    env = templates.env
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=trans.gettext, ngettext=trans.ngettext, newstyle=True
    )
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
