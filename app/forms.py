"""Reading submitted forms: the parsed form of a request and its text, number and language fields, checked."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.countries import LANGUAGE_NAMES
from app.i18n import Phrase


async def form_of(request: Request) -> FormData:
    """The submitted form (already parsed and cached by the CSRF check); empty for JSON/other bodies."""
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return await request.form()
    return FormData()


def text_field(form: FormData, name: str, *, max_len: int, required: bool = False) -> str:
    value = form.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise HTTPException(400, Phrase("Fill in '%(name)s'.", name=name))
    if len(text) > max_len:
        raise HTTPException(400, Phrase("'%(name)s' is longer than %(n)s characters.", name=name, n=max_len))
    return text


def int_field(form: FormData, name: str, *, low: int, high: int, default: int | None = None) -> int:
    value = form.get(name)
    if (value is None or value == "") and default is not None:
        return default
    if not isinstance(value, str) or not value.strip().lstrip("-").isdigit():
        raise HTTPException(400, Phrase("'%(name)s' must be a whole number.", name=name))
    number = int(value)
    if not low <= number <= high:
        raise HTTPException(
            400, Phrase("'%(name)s' must be between %(low)s and %(high)s.", name=name, low=low, high=high)
        )
    return number


def field(form: FormData, name: str, max_len: int = 200) -> str:
    value = form.get(name, "")
    return value.strip()[: max_len + 1] if isinstance(value, str) else ""


def languages_of(form: FormData, errors: list[str]) -> list[str]:
    """Checked language codes (``languages`` repeated, or comma-separated), validated against CLDR."""
    raw: list[str] = []
    for value in form.getlist("languages"):
        if isinstance(value, str):
            raw += [v.strip().lower() for v in value.split(",") if v.strip()]
    unknown = [code for code in raw if code not in LANGUAGE_NAMES]
    if unknown:
        errors.append(Phrase("Unknown language code: %(codes)s.", codes=", ".join(unknown)))
    chosen = list(dict.fromkeys(code for code in raw if code in LANGUAGE_NAMES))
    if not chosen:
        errors.append("Pick at least one language.")
    return chosen[:10]
