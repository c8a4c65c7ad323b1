"""Who may use the facilitator routes: every route x every kind of visitor, plus CSRF on every action."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Role, School, User
from app.security import hash_password
from app.settings import Settings
from rooms.models import ExchangeSession, ModerationAction, SessionStatus
from tests.support.db import db
from tests.support.staff_login import csrf_from, login

NONE = 999_999  # ids that do not exist: an authorised request gets past the guard and then 404s, harmlessly
PASSWORD = "correct horse battery"
# (method, path, form) in an order where the state-changing ones run last and close the session at the end.
ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/facilitate/{s}", {}),
    ("GET", "/facilitate/{s}/stats.json", {}),
    ("GET", "/facilitate/{s}/translation.json", {}),
    ("GET", "/facilitate/{s}/queue", {}),
    ("GET", "/facilitate/{s}/queue.json", {}),
    ("GET", "/facilitate/{s}/export/transcript.csv", {}),
    ("GET", "/facilitate/{s}/export/transcript.json", {}),
    ("GET", "/facilitate/{s}/export/safeguarding.csv", {}),
    ("GET", "/facilitate/{s}/export/safeguarding.json", {}),
    ("GET", f"/facilitate/{{s}}/participants/{NONE}/export.json", {}),
    ("POST", f"/facilitate/{{s}}/messages/{NONE}/release", {}),
    ("POST", f"/facilitate/{{s}}/messages/{NONE}/delete", {}),
    ("POST", f"/facilitate/{{s}}/reports/{NONE}/dismiss", {}),
    *(("POST", f"/facilitate/{{s}}/participants/{NONE}/{a}", {}) for a in ("warn", "mute", "unmute", "remove", "ban")),
    ("POST", f"/facilitate/{{s}}/participants/{NONE}/erase", {}),
    ("POST", f"/facilitate/{{s}}/rooms/{NONE}/close", {}),
    ("POST", f"/facilitate/{{s}}/rooms/{NONE}/slow", {"seconds": "10"}),
    ("POST", "/facilitate/{s}/announce", {"text": ""}),
    ("POST", "/facilitate/{s}/move", {}),
    ("POST", "/facilitate/{s}/prompts", {"topic": "x" * 301}),
    ("POST", "/facilitate/{s}/open", {}),
    ("POST", "/facilitate/{s}/prompt/next", {}),
    ("POST", "/facilitate/{s}/pair", {}),
    ("POST", "/facilitate/{s}/repair", {}),
    ("POST", "/facilitate/{s}/pause", {}),
    ("POST", "/facilitate/{s}/resume", {}),
    ("POST", "/facilitate/{s}/close", {}),
]


@pytest.fixture
def staff(demo: DemoData, settings: Settings) -> dict[str, str]:
    """Usernames by kind; the extra accounts (admin, an unrelated school's staff) share one password."""
    with db(settings) as session:
        other = School(name="Unrelated School", country="FR", languages=["fr"], timezone="Europe/Paris")
        session.add(other)
        session.flush()
        hashed = hash_password(PASSWORD)
        for username, role, school in [
            ("admin", Role.ADMIN, None),
            ("facilitator-other", Role.FACILITATOR, other.id),
            ("coordinator-other", Role.COORDINATOR, other.id),
        ]:
            session.add(User(username=username, display_name=username, password_hash=hashed, role=role,
                             school_id=school))  # fmt: skip
        session.commit()
    return {
        "facilitator of this session": "facilitator",
        "coordinator of a partner school": "coordinator-es",
        "admin": "admin",
        "facilitator of another school": "facilitator-other",
        "coordinator of an unrelated school": "coordinator-other",
    }


def as_student(client: TestClient) -> str:
    """A student who joined through the form: their cookie holds a participant token, not a staff login."""
    csrf = csrf_from(client.get("/join").text)
    form = {"csrf_token": csrf, "code": "RIVER9", "name": "Student", "step": "2", "country": "GB", "languages": "en"}
    response = client.post("/join", data=form, follow_redirects=False)
    assert response.headers["location"] == "/chat"
    return csrf


def call(client: TestClient, method: str, path: str, csrf: str, form: dict[str, str]) -> int:
    if method == "GET":
        return client.get(path, follow_redirects=False).status_code
    return client.post(path, data={"csrf_token": csrf, **form}, follow_redirects=False).status_code


def untouched(settings: Settings, session_id: int) -> bool:
    with db(settings) as session:
        exchange_session = session.get(ExchangeSession, session_id)
        audited = session.exec(select(func.count()).select_from(ModerationAction)).one()
    return exchange_session is not None and exchange_session.status == SessionStatus.LIVE and audited == 0


@pytest.mark.parametrize("who", ["anonymous", "student"], ids=["anonymous", "student"])
def test_visitors_without_a_staff_login_are_sent_to_log_in(
    client: TestClient, demo: DemoData, settings: Settings, who: str
) -> None:
    csrf = as_student(client) if who == "student" else ""
    for method, template, form in ROUTES:
        path = template.format(s=demo.session_id)
        status = call(client, method, path, csrf, form)
        assert status == (303 if method == "GET" else 401), (method, path, status)
    assert client.get("/facilitate", follow_redirects=False).headers["location"] == "/login?next=/facilitate"
    assert untouched(settings, demo.session_id)


@pytest.mark.parametrize(
    "who", ["facilitator of another school", "coordinator of an unrelated school"], ids=["facilitator", "coordinator"]
)
def test_staff_of_unrelated_schools_are_forbidden(
    client: TestClient, demo: DemoData, settings: Settings, staff: dict[str, str], who: str
) -> None:
    csrf = login(client, staff[who], PASSWORD)
    for method, template, form in ROUTES:
        path = template.format(s=demo.session_id)
        assert call(client, method, path, csrf, form) == 403, (method, path)
    listing = client.get("/facilitate")
    assert listing.status_code == 200
    assert "Demo exchange: our towns" not in listing.text
    assert untouched(settings, demo.session_id)


@pytest.mark.parametrize(
    "who",
    ["facilitator of this session", "coordinator of a partner school", "admin"],
    ids=["facilitator", "partner-coordinator", "admin"],
)
def test_staff_who_run_the_session_get_past_the_guard(
    client: TestClient, demo: DemoData, settings: Settings, staff: dict[str, str], who: str
) -> None:
    password = demo.logins.get(staff[who], PASSWORD)
    csrf = login(client, staff[who], password)
    for method, template, form in ROUTES:
        path = template.format(s=demo.session_id)
        status = call(client, method, path, csrf, form)
        assert status in (200, 303, 400, 404, 409), (method, path, status)
    with db(settings) as session:
        exchange_session = session.get(ExchangeSession, demo.session_id)
    assert exchange_session is not None
    assert exchange_session.status == SessionStatus.CLOSED  # the last route, close, really ran


def test_unknown_session_is_not_found(client: TestClient, demo: DemoData) -> None:
    login(client, "facilitator", demo.logins["facilitator"])
    assert client.get(f"/facilitate/{NONE}").status_code == 404


@pytest.mark.parametrize(
    ("header", "form_token", "expected"),
    [(None, None, 403), (None, "forged", 403), ("forged", None, 403), ("valid", None, 200)],
    ids=["missing", "forged-form", "forged-header", "valid-header"],
)
def test_actions_need_this_sessions_csrf_token(
    client: TestClient,
    demo: DemoData,
    settings: Settings,
    header: str | None,
    form_token: str | None,
    expected: int,
) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    sent = {"X-CSRF-Token": csrf if header == "valid" else header} if header else {}
    data = {"text": "hello all"} | ({"csrf_token": form_token} if form_token else {})
    response = client.post(f"/facilitate/{demo.session_id}/announce", data=data, headers=sent)
    assert response.status_code == expected
    with db(settings) as session:
        audited = session.exec(select(func.count()).select_from(ModerationAction)).one()
    assert audited == (1 if expected == 200 else 0)


def test_a_student_cannot_act_even_with_their_page_token(client: TestClient, demo: DemoData) -> None:
    csrf = as_student(client)
    response = client.post(
        f"/facilitate/{demo.session_id}/participants/1/ban",
        data={"csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 401
    assert re.search(r"log in", response.text, re.IGNORECASE)
