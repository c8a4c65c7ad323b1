"""Who may use the schools routes: every route x every kind of visitor; CSRF on every action; nothing leaks across."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Exchange, ExchangeClass, ExchangeStatus, Role, School, SchoolClass, User
from app.security import hash_password
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import ExchangeSession
from tests.support.db import db
from tests.support.staff_login import csrf_from, login

PASSWORD = "correct horse battery"
SUMMER_DAY = f"{utcnow().year + 1}-07-05"
LONDON_HOUR = {"start_date": SUMMER_DAY, "end_date": SUMMER_DAY, "timezone": "Europe/London"}


@dataclass(frozen=True)
class World:
    """School A (GB, the demo's) and its resources; C is a French school only A works with."""

    school_a: int
    class_a: int
    class_b: int
    exchange_ac: int  # accepted, A and C only
    session_ac: int
    exchange_ac2: int  # proposed by A, waiting for C
    exchange_ab: int  # the demo exchange: A and B (ES)
    feed: str


@pytest.fixture
def world(client: TestClient, demo: DemoData, settings: Settings) -> World:
    with db(settings) as session:
        hashed = hash_password(PASSWORD)
        for username, role in [("admin", Role.ADMIN), ("coord-none", Role.COORDINATOR)]:
            session.add(User(username=username, display_name=username, password_hash=hashed, role=role))
        school_c = School(name="Collège Voltaire", country="FR", languages=["fr"], timezone="Europe/Paris")
        session.add(school_c)
        session.flush()
        class_c = SchoolClass(
            school_id=school_c.id or 0,
            name="4e B",
            age_band="13-15",
            languages=["fr"],
            join_code="VOLTAIRE",
            join_code_expires_at=utcnow() + timedelta(days=9),
        )
        session.add(class_c)
        class_a = session.exec(select(SchoolClass).where(SchoolClass.join_code == "RIVER9")).one()
        class_b = session.exec(select(SchoolClass).where(SchoolClass.join_code == "CERVA3")).one()
        exchange_ab = session.exec(select(Exchange)).one()
        coordinator_a = session.exec(select(User).where(User.username == "coordinator-gb")).one()
        exchanges = []
        for status in (ExchangeStatus.ACCEPTED, ExchangeStatus.PROPOSED):
            exchange = Exchange(title=f"A and C {status.value}", status=status, proposed_by=coordinator_a.id)
            session.add(exchange)
            session.flush()
            session.add(ExchangeClass(exchange_id=exchange.id or 0, class_id=class_a.id or 0, accepted=True))
            session.add(
                ExchangeClass(
                    exchange_id=exchange.id or 0, class_id=class_c.id or 0, accepted=status == ExchangeStatus.ACCEPTED
                )
            )
            exchanges.append(exchange.id or 0)
        start = utcnow().replace(year=utcnow().year + 1, month=7, day=5, hour=13, minute=0, second=0, microsecond=0)
        scheduled = ExchangeSession(exchange_id=exchanges[0], starts_at=start, ends_at=start + timedelta(hours=1))
        session.add(scheduled)
        session.commit()
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    assert csrf
    page = client.get(f"/classes/{class_a.id}").text
    feed = page.split('value="http://127.0.0.1:8000', 1)[1].split('"', 1)[0]
    client.post("/logout", data={"csrf_token": csrf})
    return World(
        demo.school_ids[0],
        class_a.id or 0,
        class_b.id or 0,
        exchanges[0],
        scheduled.id or 0,
        exchanges[1],
        exchange_ab.id or 0,
        feed,
    )


SCHOOL_FORM = {"name": "Another", "country": "PT", "languages": ["pt"], "timezone": "Europe/Lisbon"}
CLASS_FORM = {
    "name": "New class",
    "age_band": "13-15",
    "size": "20",
    "languages": ["en"],
    "availability": "Mon 10:00-11:00",
}
A, B, NONE, ADMIN, FAC = (
    "coordinator of A",
    "coordinator of B",
    "coordinator without a school",
    "admin",
    "facilitator of A",
)
OWNERS = {A, ADMIN}
EVERYONE = {A, B, NONE, ADMIN, FAC, "anonymous"}
# (method, path template, form, who is allowed past authorisation). State changes come last, in a workable order.
ROUTES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("GET", "/schools", {}, {A, B, NONE, ADMIN}),
    ("GET", "/schools/new", {}, {NONE, ADMIN}),
    ("GET", "/schools/{school_a}", {}, OWNERS),
    ("GET", "/schools/{school_a}/edit", {}, OWNERS),
    ("GET", "/schools/{school_a}/staff", {}, OWNERS),
    ("GET", "/schools/{school_a}/classes/new", {}, OWNERS),
    ("GET", "/classes/{class_a}", {}, OWNERS),
    ("GET", "/classes/{class_a}/edit", {}, OWNERS),
    ("GET", "/classes/{class_a}/partners", {}, OWNERS),
    ("GET", "/classes/{class_a}/calendar.ics", {}, OWNERS),
    ("GET", "/classes/{class_a}/card", {}, OWNERS),
    ("GET", "/exchanges/{exchange_ac}/calendar.ics", {}, OWNERS),
    ("GET", "/exchanges/{exchange_ab}/calendar.ics", {}, {A, B, ADMIN}),
    ("GET", "/exchanges/{exchange_ac}", {}, OWNERS),
    ("GET", "/exchanges/{exchange_ab}", {}, {A, B, ADMIN}),
    ("GET", "{feed}", {}, EVERYONE),
    ("GET", "/notifications", {}, {A, B, NONE, ADMIN}),
    ("POST", "/schools/new", SCHOOL_FORM, {NONE, ADMIN}),
    (
        "POST",
        "/schools/{school_a}/edit",
        SCHOOL_FORM | {"name": "Renamed", "country": "GB", "timezone": "Europe/London"},
        OWNERS,
    ),
    (
        "POST",
        "/schools/{school_a}/staff",
        {"username": "intruder", "role": "coordinator", "password": PASSWORD},
        OWNERS,
    ),
    ("POST", "/schools/{school_a}/classes/new", CLASS_FORM, OWNERS),
    ("POST", "/classes/{class_a}/edit", CLASS_FORM | {"name": "Renamed class"}, OWNERS),
    ("POST", "/classes/{class_a}/code", {}, OWNERS),
    ("POST", "/classes/{class_a}/propose", {"partner_class_id": "{class_b}", "room_size": "2", "mode": "live"}, OWNERS),
    ("POST", "/exchanges/{exchange_ac}/rules", {"mode": "live", "room_size": "4"}, OWNERS),
    ("POST", "/exchanges/{exchange_ac}/sessions", LONDON_HOUR | {"start_time": "10:00", "end_time": "11:00"}, OWNERS),
    (
        "POST",
        "/exchanges/{exchange_ac}/sessions/{session_ac}/reschedule",
        LONDON_HOUR | {"start_time": "16:00", "end_time": "17:00", "notice": "moved"},
        OWNERS,
    ),
    ("POST", "/exchanges/{exchange_ac}/sessions/{session_ac}/cancel", {"notice": "off"}, OWNERS),
    ("POST", "/exchanges/{exchange_ac2}/accept", {}, {ADMIN}),  # A proposed it: only C (or an admin) answers
    ("POST", "/exchanges/{exchange_ac2}/decline", {}, {ADMIN}),
]
POSTS = [r for r in ROUTES if r[0] == "POST"]


def fill(template: str, world: World) -> str:
    return template.format(**world.__dict__)


def call(client: TestClient, method: str, path: str, csrf: str | None, form: dict[str, Any], world: World) -> Any:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    data = {k: fill(v, world) if isinstance(v, str) else v for k, v in form.items()}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post(path, data=data, follow_redirects=False)


def snapshot(settings: Settings) -> list[Any]:
    """Every row the schools routes could change (users without their login bookkeeping)."""
    with db(settings) as session:
        rows: list[Any] = []
        for model in (School, SchoolClass, Exchange, ExchangeClass, ExchangeSession):
            rows += [r.model_dump() for r in session.exec(select(model)).all()]
        users = session.exec(select(User).order_by(col(User.id))).all()
        rows += [(u.username, u.role, u.school_id, u.password_hash) for u in users]
    return rows


LOGINS = {A: "coordinator-gb", B: "coordinator-es", FAC: "facilitator", ADMIN: "admin", NONE: "coord-none"}


def log_in(client: TestClient, demo: DemoData, who: str) -> str:
    if who == "anonymous":
        return csrf_from(client.get("/login").text)
    username = LOGINS[who]
    return login(client, username, demo.logins.get(username, PASSWORD))


@pytest.mark.parametrize("who", sorted(EVERYONE), ids=lambda w: w.replace(" ", "-"))
def test_every_route_allows_or_denies_by_role_and_school(
    client: TestClient, demo: DemoData, settings: Settings, world: World, who: str
) -> None:
    csrf = log_in(client, demo, who)
    before = snapshot(settings)
    for method, template, form, allowed in ROUTES:
        path = fill(template, world)
        status = call(client, method, path, csrf, form, world)
        code, location = status.status_code, status.headers.get("location", "")
        if who in allowed:
            assert code in ((200,) if method == "GET" else (200, 303, 409)), (who, method, path, code)
        elif who == "anonymous":
            expected = (303, f"/login?next={path}") if method == "GET" else (401, "")
            assert (code, location) == expected, (who, method, path)
        else:
            assert code == 403, (who, method, path, code)
    if not any(who in allowed for method, _, _, allowed in POSTS):
        assert snapshot(settings) == before  # denied everywhere: not one row changed


def test_posts_without_or_with_a_wrong_csrf_token_are_rejected_and_change_nothing(
    client: TestClient, demo: DemoData, settings: Settings, world: World
) -> None:
    good = log_in(client, demo, ADMIN)
    before = snapshot(settings)
    for _, template, form, _ in POSTS:
        path = fill(template, world)
        for token in (None, "forged-token", good[:-2]):
            response = call(client, "POST", path, token, form, world)
            assert response.status_code == 403, (path, token)
            assert "did not come from this site" in response.text
    assert snapshot(settings) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/schools/999999"),
        ("GET", "/classes/999999"),
        ("GET", "/classes/999999/partners"),
        ("GET", "/classes/999999/calendar.ics"),
        ("GET", "/classes/999999/card"),
        ("GET", "/exchanges/999999/calendar.ics"),
        ("GET", "/exchanges/999999"),
        ("POST", "/classes/999999/code"),
        ("POST", "/exchanges/{exchange_ac}/sessions/999999/cancel"),
        ("POST", "/exchanges/{exchange_ab}/sessions/{session_ac}/cancel"),  # a session of another exchange
        ("GET", "/ics/999999.ics"),
    ],
    ids=[
        "school",
        "class",
        "partners",
        "calendar",
        "card",
        "exchange-calendar",
        "exchange",
        "code",
        "session",
        "foreign-session",
        "feed",
    ],
)
def test_unknown_or_mismatched_ids_are_404_and_change_nothing(
    client: TestClient, demo: DemoData, settings: Settings, world: World, method: str, path: str
) -> None:
    csrf = log_in(client, demo, A)
    before = snapshot(settings)
    assert call(client, method, fill(path, world), csrf, {}, world).status_code == 404
    assert snapshot(settings) == before


def test_partner_school_cannot_touch_the_other_schools_class_through_an_exchange(
    client: TestClient, demo: DemoData, settings: Settings, world: World
) -> None:
    """B shares an exchange with A, which lets B see that exchange, never A's class pages or code."""
    csrf = log_in(client, demo, B)
    before = snapshot(settings)
    assert client.get(f"/exchanges/{world.exchange_ab}").status_code == 200
    assert client.get(f"/classes/{world.class_a}", follow_redirects=False).status_code == 403
    assert call(client, "POST", f"/classes/{world.class_a}/code", csrf, {}, world).status_code == 403
    assert "RIVER9" not in client.get(f"/exchanges/{world.exchange_ab}").text
    assert snapshot(settings) == before
