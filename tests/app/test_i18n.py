"""Interface translations: catalogues complete against a fresh extraction, compiled, and the language picker."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.testclient import TestClient

from app import errors, i18n
from app.locale import extra_messages
from app.models import ExchangeStatus, Role
from app.templating import templates
from rooms.models import MessageKind, ModerationState, ParticipantStatus, SessionStatus
from rooms.moderation.reasons import known_reasons, plain_reason
from rooms.protocol import ERROR_MESSAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT_LANGUAGE]
# The same command as docs/i18n.md: the keywords pick up messages raised as JoinError/HTTPException, fail(),
# conflict() and the room lifecycle's Refused(status, message).
EXTRACT_KEYWORDS = [
    *("-k", "N_", "-k", "JoinError:2", "-k", "HTTPException:2", "-k", "fail:1", "-k", "Phrase"),
    *("-k", "conflict", "-k", "Refused:2"),
]
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Extract every interface string from the code and templates as they are now."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            *EXTRACT_KEYWORDS,
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return read_po(handle)


def _catalogue(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", TRANSLATED, ids=TRANSLATED)
def test_catalogue_translates_every_extracted_message(fresh_template: Catalog, language: str) -> None:
    catalogue = _catalogue(language)
    untranslated = [
        m.id
        for m in fresh_template
        if m.id and (catalogue.get(m.id) is None or not catalogue[m.id].string or catalogue[m.id].fuzzy)
    ]
    assert untranslated == [], f"{language}: run the steps in docs/i18n.md for {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED, ids=TRANSLATED)
def test_catalogue_keeps_every_placeholder(language: str) -> None:
    broken = [
        m.id
        for m in _catalogue(language)
        if m.id and sorted(PLACEHOLDER.findall(str(m.id))) != sorted(PLACEHOLDER.findall(str(m.string)))
    ]
    assert broken == []


@pytest.mark.parametrize("language", TRANSLATED, ids=TRANSLATED)
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    compiled = Translations.load(str(i18n.LOCALE_DIR), [language], domain="messages")
    stale = [m.id for m in _catalogue(language) if m.id and compiled.gettext(str(m.id)) != m.string]
    assert stale == [], f"{language}: run pybabel compile -d app/locale"


@pytest.mark.parametrize(
    ("values", "marked"),
    [
        ([s.value for s in SessionStatus], extra_messages.SESSION_STATUSES),
        ([s.value for s in ParticipantStatus], extra_messages.PARTICIPANT_STATUSES),
        ([k.value for k in MessageKind], extra_messages.MESSAGE_KINDS),
        ([r.value for r in Role], extra_messages.ROLES),
        ([x.value for x in ExchangeStatus], extra_messages.EXCHANGE_STATUSES),
        ([s.value for s in ModerationState], extra_messages.MODERATION_STATES),
        ([*errors.TITLES.values(), "Error"], extra_messages.ERROR_TITLES),
    ],
    ids=[
        "session-status",
        "participant-status",
        "message-kind",
        "role",
        "exchange-status",
        "moderation-state",
        "error-titles",
    ],
)
def test_extra_messages_mark_every_value_templates_translate(values: list[str], marked: list[str]) -> None:
    assert sorted(values) == sorted(marked)


@pytest.mark.parametrize(
    ("language", "direction", "heading"),
    [
        ("en", "ltr", "Meet classrooms across borders"),
        ("es", "ltr", "Conoce aulas de otros países"),
        ("fr", "ltr", "Rencontrez des classes par-delà les frontières"),
        ("ar", "rtl", "تعرّف إلى فصول دراسية عبر الحدود"),
    ],
    ids=["en", "es", "fr", "ar"],
)
def test_language_picker_remembers_choice(client: TestClient, language: str, direction: str, heading: str) -> None:
    home = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert token is not None
    response = client.post(
        "/language", data={"csrf_token": token.group(1), "lang": language, "next": "/join"}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, "/join")
    page = client.get("/").text
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert heading in page


@pytest.mark.parametrize(
    ("header", "language"),
    [("es-ES,es;q=0.9,en;q=0.8", "es"), ("ar", "ar"), ("de-DE,fr;q=0.5", "fr"), ("de-DE", "en"), ("", "en")],
    ids=["spanish", "arabic", "second-choice", "unsupported", "none"],
)
def test_language_follows_accept_language_without_a_choice(client: TestClient, header: str, language: str) -> None:
    page = client.get("/join", headers={"Accept-Language": header}).text
    assert f'<html lang="{language}"' in page


def test_language_picker_ignores_unknown_language_and_foreign_redirect(client: TestClient) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token is not None
    response = client.post(
        "/language", data={"csrf_token": token.group(1), "lang": "xx", "next": "//evil.example"}, follow_redirects=False
    )
    assert (response.headers["location"], "bw_lang" in response.cookies) == ("/", False)


def _chat_strings(client: TestClient) -> dict[str, Any]:
    """Join through the real form and read the strings the chat page hands to its script."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/join").text)
    assert token is not None
    form = {"csrf_token": token.group(1), "code": "RIVER9", "name": "Alice"}
    client.post("/join", data=form)
    joined = client.post("/join", data={**form, "step": "2", "country": "GB", "languages": "en"})
    found = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', joined.text, re.S)
    assert found is not None, joined.text[:500]
    strings: dict[str, Any] = json.loads(found.group(1))
    return strings


def test_chat_page_explains_every_moderation_reason_in_the_interface_language(client: TestClient, demo: object) -> None:
    reasons = _chat_strings(client)["reasons"]
    assert reasons == {code: plain_reason(code) for code in known_reasons()}


def test_chat_page_error_texts_match_the_protocol_messages(client: TestClient, demo: object) -> None:
    errors_shown = _chat_strings(client)["errors"]
    reworded = {"token_invalid", "token_expired"}  # "token" means nothing to a student: said in plain words
    assert set(errors_shown) <= set(ERROR_MESSAGES)
    assert {c: t for c, t in errors_shown.items() if c not in reworded} == {
        c: ERROR_MESSAGES[c] for c in errors_shown if c not in reworded
    }


def _appended_form_errors() -> set[str]:
    """Literal strings the app's handlers collect with ``errors.append("...")`` (shown via ``_(e)``)."""
    found: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "errors"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_extra_messages_mark_every_literal_form_error() -> None:
    assert _appended_form_errors() <= set(extra_messages.FORM_ERRORS)


# Calls whose message reaches people, and the position of the message argument.
MESSAGE_ARG = {
    "HTTPException": 1,
    "JoinError": 1,
    "fail": 0,
    "AvailabilityError": 0,
    "ScheduleError": 0,
    "Phrase": 0,
    "conflict": 0,
    "Refused": 1,
}
# Built messages in modules other helpers own while this test was written; each must become a Phrase
# (docs/i18n.md). The test fails when one is added, and when one is fixed without being removed from here.
NOT_YET_PHRASES = {"app/facilitation/moderation_queue.py": 1}


def _built_message(node: ast.expr) -> bool:
    """An f-string, ``"..." % x`` or ``"...".format(x)``: the values are baked in before any catalogue sees it."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    )


def _message_argument(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name == "append" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return call.args[0] if func.value.id == "errors" and call.args else None
    position = MESSAGE_ARG.get(name)
    return call.args[position] if position is not None and len(call.args) > position else None


def _built_messages() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "rooms").rglob("*.py")]):
        relative = str(path.relative_to(ROOT))
        if relative == "app/cli.py":  # talks to operators, in English (docs/i18n.md)
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            argument = _message_argument(node) if isinstance(node, ast.Call) else None
            if argument is not None and _built_message(argument):
                found.setdefault(relative, []).append(node.lineno)
    return found


def test_messages_shown_to_people_are_never_built_before_translation() -> None:
    counts = {path: len(lines) for path, lines in _built_messages().items()}
    assert counts == NOT_YET_PHRASES, f"write these as Phrase(...) (docs/i18n.md): {_built_messages()}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Age band '3-4': ages from 5 to 99, youngest first."),
        ("es", "Franja de edad '3-4': edades de 5 a 99, de menor a mayor."),
        ("ar", "الفئة العمرية '3-4': الأعمار من 5 إلى 99، الأصغر أولًا."),
    ],
    ids=["en", "es", "ar"],
)
def test_phrase_is_translated_before_its_values_are_filled_in(language: str, expected: str) -> None:
    phrase = i18n.Phrase(
        "Age band '%(text)s': ages from %(low)s to %(high)s, youngest first.", text="3-4", low=5, high=99
    )
    assert str(phrase) == "Age band '3-4': ages from 5 to 99, youngest first."
    assert i18n.gettext(language, phrase) == expected


def test_phrase_in_a_template_escapes_its_values_and_keeps_percent_signs() -> None:
    phrase = i18n.Phrase("Line %(n)s ('%(line)s'): the window is empty.", n=2, line="<b>100%</b>")
    rendered = templates.env.from_string("{{ _(error) }}").render(error=phrase, _=i18n.template_gettext("fr"))
    assert "&lt;b&gt;100%&lt;/b&gt;" in rendered
    assert "<b>" not in rendered


def _lifecycle_refusals() -> set[str]:
    """The messages ``rooms/`` refuses facilitator actions with, ``Refused(status, "message")``."""
    found: set[str] = set()
    for path in (ROOT / "rooms").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Refused"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                found.add(str(node.args[1].value))
    return found


def test_lifecycle_refusals_are_extracted_for_translation(fresh_template: Catalog) -> None:
    refusals = _lifecycle_refusals()
    assert "This student is not in a room." in refusals
    assert refusals <= {str(m.id) for m in fresh_template if m.id}
