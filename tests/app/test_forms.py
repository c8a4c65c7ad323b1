"""Form fields read through a real request: trimmed text, bounded numbers, checked language codes, 400 on bad input."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app.forms import field, form_of, int_field, languages_of, text_field


async def _read(request: Request) -> Response:
    form = await form_of(request)
    try:
        errors: list[str] = []
        values: dict[str, Any] = {
            "keys": sorted(form.keys()),
            "title": text_field(form, "title", max_len=10, required=request.query_params.get("required") == "1"),
            "size": int_field(form, "size", low=1, high=4, default=2),
            "name": field(form, "name", 5),
            "languages": languages_of(form, errors) if "languages" in form else [],
            "errors": [str(error) for error in errors],
        }
    except HTTPException as exc:
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    return JSONResponse(values)


@pytest.fixture
def forms() -> TestClient:
    return TestClient(Starlette(routes=[Route("/", _read, methods=["POST"])]))


def test_forms_read_trimmed_fields_and_defaults(forms: TestClient) -> None:
    got = forms.post("/", data={"title": "  Hello  ", "name": " abcdefgh "}).json()
    assert got["title"] == "Hello"
    assert got["size"] == 2  # empty: the default
    assert got["name"] == "abcdef"  # cut one past the limit, so the caller can tell it was too long


def test_forms_json_body_reads_as_an_empty_form(forms: TestClient) -> None:
    got = forms.post("/", json={"title": "ignored"}).json()
    assert got["keys"] == []
    assert got["title"] == ""


@pytest.mark.parametrize(
    ("data", "query", "message"),
    [
        ({"title": "x" * 11}, "", "'title' is longer than 10 characters."),
        ({"title": " "}, "?required=1", "Fill in 'title'."),
        ({"size": "two"}, "", "'size' must be a whole number."),
        ({"size": "9"}, "", "'size' must be between 1 and 4."),
        ({"size": "-1"}, "", "'size' must be between 1 and 4."),
    ],
    ids=["too-long", "required", "not-a-number", "above", "below"],
)
def test_forms_refuse_bad_fields_with_400(forms: TestClient, data: dict[str, str], query: str, message: str) -> None:
    response = forms.post(f"/{query}", data=data)
    assert (response.status_code, response.text) == (400, message)


def test_forms_languages_are_checked_deduplicated_and_lowercased(forms: TestClient) -> None:
    got = forms.post("/", data={"languages": ["EN, es", "en", "xx"]}).json()
    assert got["languages"] == ["en", "es"]
    assert got["errors"] == ["Unknown language code: xx."]


def test_forms_no_language_is_an_error(forms: TestClient) -> None:
    got = forms.post("/", data={"languages": " , "}).json()
    assert got["languages"] == []
    assert got["errors"] == ["Pick at least one language."]
