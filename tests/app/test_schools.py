"""Schools end to end through the real forms: registration, classes and codes, staff, partners, exchanges, sessions."""

from __future__ import annotations

import re
import time as clock
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, select
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.main import create_app
from app.models import Exchange, ExchangeClass, ExchangeStatus, Role, School, SchoolClass, User
from app.schools.classes import CODE_ALPHABET
from app.security import hash_password
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import ExchangeSession, SessionStatus
from tests.app.staff_login import csrf_from, login
from tests.conftest import make_settings
from tests.support.db import db

NEXT_YEAR = utcnow().year + 1
SUMMER_DAY = date(NEXT_YEAR, 7, 5).isoformat()


def count(settings: Settings, model: type[Any]) -> int:
    with db(settings) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def as_user(client: TestClient, demo: DemoData, username: str) -> str:
    return login(client, username, demo.logins[username])


def post(client: TestClient, path: str, csrf: str, form: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": csrf, **form}, follow_redirects=False)


def created_id(response: Any, prefix: str) -> int:
    assert response.status_code == 303, response.text
    found = re.match(rf"^{prefix}(\d+)", response.headers["location"])
    assert found is not None, response.headers["location"]
    return int(found.group(1))


CLASS_FORM = {
    "name": "Year 9 Spanish",
    "age_band": "13-15",
    "size": "24",
    "languages": ["en", "es"],
    "availability": "Mon 10:00-12:00\nWed 14:00-15:00",
}
SCHOOL_FORM = {
    "name": "Lincoln Middle School",
    "country": "US",
    "languages": ["en", "es"],
    "timezone": "America/New_York",
    "safeguarding_email": "safe@lincoln.example",
    "holidays": "2026-12-21 to 2027-01-04\n2027-01-18",
}


@pytest.fixture
def newcomer(settings: Settings) -> str:
    """A coordinator account with no school yet; its password is its username backwards plus a suffix."""
    with db(settings) as session:
        session.add(
            User(
                username="newcomer",
                display_name="New",
                role=Role.COORDINATOR,
                password_hash=hash_password("newcomer-password"),
            )
        )
        session.commit()
    return "newcomer-password"


def test_register_school_makes_the_coordinator_its_coordinator(
    client: TestClient, demo: DemoData, settings: Settings, newcomer: str
) -> None:
    csrf = login(client, "newcomer", newcomer)
    assert "Register a school" in client.get("/schools").text
    school_id = created_id(post(client, "/schools/new", csrf, SCHOOL_FORM), "/schools/")
    with db(settings) as session:
        school = session.get(School, school_id)
        me = session.exec(select(User).where(User.username == "newcomer")).one()
    assert school is not None
    assert me.school_id == school_id
    assert (school.country, school.languages, school.timezone) == ("US", ["en", "es"], "America/New_York")
    assert school.holidays == [["2026-12-21", "2027-01-04"], ["2027-01-18", "2027-01-18"]]
    listing = client.get("/schools").text
    assert "Lincoln Middle School" in listing
    assert "Riverside High School" not in listing
    assert client.get("/schools/new", follow_redirects=False).status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"country": "XX"}, "country"),
        ({"languages": []}, "at least one language"),
        ({"languages": ["en", "zz"]}, "Unknown language code"),
        ({"safeguarding_email": "not an address"}, "e-mail"),
        ({"holidays": "next week"}, "write a date or a range"),
        ({"name": ""}, "name of 1 to 200"),
    ],
    ids=["time-zone", "country", "no-language", "unknown-language", "email", "holidays", "name"],
)
def test_register_school_rejects_bad_fields_and_saves_nothing(
    client: TestClient, demo: DemoData, settings: Settings, newcomer: str, change: dict[str, Any], message: str
) -> None:
    csrf = login(client, "newcomer", newcomer)
    before = count(settings, School)
    response = post(client, "/schools/new", csrf, SCHOOL_FORM | change)
    assert response.status_code == 400
    assert message in response.text
    assert count(settings, School) == before


def test_school_list_admin_sees_all_coordinator_sees_own(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    with db(settings) as session:
        session.add(
            User(username="root", display_name="Root", role=Role.ADMIN, password_hash=hash_password("root-password"))
        )
        session.commit()
    login(client, "root", "root-password")
    listing = client.get("/schools").text
    assert "Riverside High School" in listing
    assert "IES Miguel de Cervantes" in listing
    as_user(client, demo, "coordinator-es")
    listing = client.get("/schools").text
    assert "IES Miguel de Cervantes" in listing
    assert "Riverside High School" not in listing


def test_edit_school_changes_holidays(client: TestClient, demo: DemoData, settings: Settings) -> None:
    csrf = as_user(client, demo, "coordinator-gb")
    gb = demo.school_ids[0]
    form = {
        "name": "Riverside High School",
        "country": "GB",
        "languages": ["en"],
        "timezone": "Europe/London",
        "safeguarding_email": "dsl@riverside.example",
        "holidays": "2027-02-15 to 2027-02-19",
    }
    assert post(client, f"/schools/{gb}/edit", csrf, form).status_code == 303
    with db(settings) as session:
        school = session.get(School, gb)
    assert school is not None
    assert school.holidays == [["2027-02-15", "2027-02-19"]]
    assert "2027-02-15 to 2027-02-19" in client.get(f"/schools/{gb}").text


def test_create_class_gets_an_unambiguous_code_valid_for_the_configured_days(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    csrf = as_user(client, demo, "coordinator-gb")
    class_id = created_id(post(client, f"/schools/{demo.school_ids[0]}/classes/new", csrf, CLASS_FORM), "/classes/")
    with db(settings) as session:
        school_class = session.get(SchoolClass, class_id)
    assert school_class is not None
    assert len(school_class.join_code) == 8
    assert set(school_class.join_code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    expected = utcnow() + timedelta(days=settings.join_code_days)
    assert abs((school_class.join_code_expires_at - expected).total_seconds()) < 60
    assert school_class.availability == [
        {"weekday": 0, "start": "10:00", "end": "12:00"},
        {"weekday": 2, "start": "14:00", "end": "15:00"},
    ]
    page = client.get(f"/classes/{class_id}").text
    assert school_class.join_code in page
    assert 'Mon <span dir="ltr">10:00-12:00</span>' in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"age_band": "15-13"}, "youngest first"),
        ({"size": "0"}, "1 to 200"),
        ({"availability": "Mon nine to ten"}, "Line 1"),
        ({"languages": []}, "at least one language"),
    ],
    ids=["age-band", "size", "availability", "languages"],
)
def test_create_class_rejects_bad_fields_and_saves_nothing(
    client: TestClient, demo: DemoData, settings: Settings, change: dict[str, Any], message: str
) -> None:
    csrf = as_user(client, demo, "coordinator-gb")
    before = count(settings, SchoolClass)
    response = post(client, f"/schools/{demo.school_ids[0]}/classes/new", csrf, CLASS_FORM | change)
    assert response.status_code == 400
    assert message in response.text
    assert count(settings, SchoolClass) == before


def test_rotate_code_stops_the_old_code_at_once(client: TestClient, demo: DemoData, settings: Settings) -> None:
    csrf = as_user(client, demo, "coordinator-gb")
    with db(settings) as session:
        class_id = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "RIVER9")).one()
    assert post(client, f"/classes/{class_id}/code", csrf, {}).status_code == 303
    with db(settings) as session:
        new_code = session.exec(select(SchoolClass.join_code).where(SchoolClass.id == class_id)).one()
    assert new_code != "RIVER9"
    old = client.post("/api/join", json={"code": "RIVER9", "name": "Ana"})
    new = client.post("/api/join", json={"code": new_code, "name": "Ana"})
    assert (old.status_code, old.json()["error"]) == (404, "unknown_code")
    assert new.status_code == 201


def test_expired_code_is_flagged_on_the_class_page(client: TestClient, demo: DemoData, settings: Settings) -> None:
    with db(settings) as session:
        school_class = session.exec(select(SchoolClass).where(SchoolClass.join_code == "RIVER9")).one()
        school_class.join_code_expires_at = utcnow() - timedelta(minutes=1)
        session.add(school_class)
        session.commit()
    as_user(client, demo, "coordinator-gb")
    assert "This code has expired" in client.get(f"/classes/{school_class.id}").text
    assert client.post("/api/join", json={"code": "RIVER9", "name": "Ana"}).status_code == 410


def test_staff_page_creates_a_facilitator_who_can_log_in(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    csrf = as_user(client, demo, "coordinator-gb")
    form = {"username": "ms-jones", "display_name": "Ms Jones", "role": "facilitator", "password": ""}
    page = post(client, f"/schools/{demo.school_ids[0]}/staff", csrf, form)
    assert page.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', page.text)
    assert password is not None
    with db(settings) as session:
        user = session.exec(select(User).where(User.username == "ms-jones")).one()
    assert (user.role, user.school_id) == (Role.FACILITATOR, demo.school_ids[0])
    login(client, "ms-jones", password.group(1))
    assert client.get("/facilitate").status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "coordinator-es", "role": "facilitator"}, "taken"),
        ({"username": "X", "role": "facilitator"}, "Usernames are"),
        ({"username": "boss", "role": "admin"}, "Pick the role"),
        ({"username": "shorty", "role": "facilitator", "password": "short"}, "Passwords are"),
    ],
    ids=["taken", "bad-username", "admin-role", "short-password"],
)
def test_staff_page_rejects_bad_accounts(
    client: TestClient, demo: DemoData, settings: Settings, form: dict[str, str], message: str
) -> None:
    csrf = as_user(client, demo, "coordinator-gb")
    before = count(settings, User)
    response = post(client, f"/schools/{demo.school_ids[0]}/staff", csrf, form)
    assert response.status_code == 400
    assert message in response.text
    assert count(settings, User) == before


def add_school(
    settings: Settings, name: str, country: str, tz: str, languages: list[str], windows: str, age_band: str = "13-15"
) -> int:
    """A school with one class, straight into the database; returns the class id."""
    from app.schools.availability import parse_windows

    with db(settings) as session:
        school = School(name=name, country=country, languages=languages, timezone=tz)
        session.add(school)
        session.flush()
        school_class = SchoolClass(
            school_id=school.id or 0,
            name=f"{name} class",
            age_band=age_band,
            languages=languages,
            availability=parse_windows(windows),
            join_code=f"C{school.id:07d}",
            join_code_expires_at=utcnow() + timedelta(days=9),
        )
        session.add(school_class)
        session.commit()
        assert school_class.id is not None
        return school_class.id


@pytest.fixture
def gb_class(client: TestClient, demo: DemoData) -> tuple[int, str]:
    """A new GB class (Mon-Fri 14:00-16:00 London) and the GB coordinator's CSRF token."""
    csrf = as_user(client, demo, "coordinator-gb")
    form = CLASS_FORM | {"availability": "\n".join(f"{d} 14:00-16:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri"))}
    return created_id(post(client, f"/schools/{demo.school_ids[0]}/classes/new", csrf, form), "/classes/"), csrf


def test_partners_ranked_with_overlap_on_both_clocks_and_async_offer(
    client: TestClient, demo: DemoData, settings: Settings, gb_class: tuple[int, str]
) -> None:
    class_id, _ = gb_class
    new_york = add_school(settings, "Lincoln", "US", "America/New_York", ["en"], "Mon 09:00-11:00")
    tokyo = add_school(settings, "Sakura", "JP", "Asia/Tokyo", ["ja"], "Mon 08:00-09:00")
    add_school(settings, "Older", "FR", "Europe/Paris", ["fr"], "Mon 15:00-16:00", age_band="17-18")
    add_school(settings, "Same country", "GB", "Europe/London", ["en"], "Mon 14:00-16:00")
    page = client.get(f"/classes/{class_id}/partners?weeks=2").text
    with db(settings) as session:
        madrid = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "CERVA3")).one()
    order = [int(x) for x in re.findall(r'name="partner_class_id" value="(\d+)"', page)]
    # NY overlaps on Mondays; Madrid (09:00-15:00 CET ends at 14:00 London) and Tokyo never: Madrid shares Spanish.
    assert order == [new_york, madrid, tokyo]
    assert "Older class" not in page
    assert "Same country class" not in page
    assert "America/New_York" in page
    assert 'Mon <span dir="ltr">09:00-11:00</span>' in page
    assert "never overlap" in page
    assert "Propose an asynchronous exchange" in page


def test_exchange_proposed_accepted_by_the_partner_only(
    client: TestClient, demo: DemoData, settings: Settings, gb_class: tuple[int, str]
) -> None:
    class_id, csrf = gb_class
    partner = add_school(settings, "Lincoln", "US", "America/New_York", ["en"], "Mon 09:00-11:00")
    form = {"partner_class_id": partner, "title": "Our towns", "mode": "live", "room_size": "3", "max_per_class": "2"}
    exchange_id = created_id(post(client, f"/classes/{class_id}/propose", csrf, form), "/exchanges/")
    assert post(client, f"/exchanges/{exchange_id}/accept", csrf, {}).status_code == 403  # the proposer cannot
    with db(settings) as session:
        exchange = session.get(Exchange, exchange_id)
        links = session.exec(select(ExchangeClass).where(ExchangeClass.exchange_id == exchange_id)).all()
        us_school = session.exec(select(School).where(School.name == "Lincoln")).one()
        session.add(
            User(
                username="coord-us",
                display_name="US",
                role=Role.COORDINATOR,
                school_id=us_school.id,
                password_hash=hash_password("coord-us-password"),
            )
        )
        session.commit()
    assert exchange is not None
    assert (exchange.status, exchange.room_size, exchange.max_per_class) == (ExchangeStatus.PROPOSED, 3, 2)
    assert {(link.class_id, link.accepted) for link in links} == {(class_id, True), (partner, False)}
    us_csrf = login(client, "coord-us", "coord-us-password")
    assert "waits for your answer" in client.get(f"/exchanges/{exchange_id}").text
    assert post(client, f"/exchanges/{exchange_id}/accept", us_csrf, {}).status_code == 303
    assert post(client, f"/exchanges/{exchange_id}/decline", us_csrf, {}).status_code == 409
    with db(settings) as session:
        exchange = session.get(Exchange, exchange_id)
    assert exchange is not None
    assert exchange.status == ExchangeStatus.ACCEPTED


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"partner_class_id": "{same_country}"}, "another country"),
        ({"partner_class_id": "999999"}, "from the list"),
        ({"room_size": "5"}, "2 to 4"),
        ({"room_size": "4", "max_per_class": "1"}, "cannot hold 4"),
        ({"mode": "hybrid"}, "live or async"),
    ],
    ids=["same-country", "unknown-class", "room-too-big", "rules-impossible", "mode"],
)
def test_propose_rejects_bad_partners_and_rules(
    client: TestClient,
    demo: DemoData,
    settings: Settings,
    gb_class: tuple[int, str],
    form: dict[str, str],
    message: str,
) -> None:
    class_id, csrf = gb_class
    same_country = add_school(settings, "Leeds", "GB", "Europe/London", ["en"], "Mon 14:00-16:00")
    partner = add_school(settings, "Lincoln", "US", "America/New_York", ["en"], "Mon 09:00-11:00")
    fields = {"partner_class_id": str(partner), "mode": "live", "room_size": "2"} | form
    fields["partner_class_id"] = fields["partner_class_id"].format(same_country=same_country)
    before = count(settings, Exchange)
    response = post(client, f"/classes/{class_id}/propose", csrf, fields)
    assert response.status_code == 400
    assert message in response.text
    assert count(settings, Exchange) == before


def demo_exchange(settings: Settings, mode: str = "live") -> int:
    """The demo's accepted GB-ES exchange, with the given mode and group rules 3 / 2 and a moderation override."""
    with db(settings) as session:
        exchange = session.exec(select(Exchange)).one()
        exchange.mode, exchange.room_size, exchange.max_per_class = mode, 3, 2
        exchange.moderation = {"contact_action": "mask"}
        session.add(exchange)
        session.commit()
        assert exchange.id is not None
        return exchange.id


def sessions_of(settings: Settings, exchange_id: int) -> list[ExchangeSession]:
    with db(settings) as session:
        query = select(ExchangeSession).where(ExchangeSession.exchange_id == exchange_id)
        return list(session.exec(query.order_by(col(ExchangeSession.id))).all())


def when(day: str, start: str, end: str, tz: str = "Europe/London", end_day: str = "") -> dict[str, str]:
    return {"start_date": day, "start_time": start, "end_date": end_day or day, "end_time": end, "timezone": tz}


def test_schedule_stores_utc_copies_rules_and_shows_both_clocks(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    exchange_id = demo_exchange(settings)
    csrf = as_user(client, demo, "coordinator-gb")
    with db(settings) as session:
        facilitator = session.exec(select(User).where(User.username == "facilitator")).one()
    form = when(SUMMER_DAY, "10:00", "11:00") | {"facilitator_id": str(facilitator.id), "topic": "Food"}
    assert post(client, f"/exchanges/{exchange_id}/sessions", csrf, form).status_code == 303
    new = sessions_of(settings, exchange_id)[-1]
    assert (new.starts_at, new.ends_at) == (
        datetime.fromisoformat(f"{SUMMER_DAY}T09:00:00+00:00"),
        datetime.fromisoformat(f"{SUMMER_DAY}T10:00:00+00:00"),
    )
    assert (new.title, new.room_size, new.max_per_class, new.moderation, new.facilitator_id, new.topic) == (
        "Demo exchange: our towns",
        3,
        2,
        {"contact_action": "mask"},
        facilitator.id,
        "Food",
    )
    page = client.get(f"/exchanges/{exchange_id}").text
    assert "10:00 BST" in page
    assert "11:00 CEST" in page


def last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (when(SUMMER_DAY, "11:00", "10:00"), "end must be after the start"),
        (when((utcnow() - timedelta(days=1)).date().isoformat(), "10:00", "11:00"), "in the past"),
        (when(SUMMER_DAY, "10:00", "11:00", tz="Mars/Olympus"), "Unknown time zone"),
        (when(last_sunday_of_march(NEXT_YEAR).isoformat(), "01:30", "03:00"), "does not exist in Europe/London"),
        (when(SUMMER_DAY, "08:00", "21:00"), "at most 12 hours"),
        (when(SUMMER_DAY, "10:30", "11:30"), "overlaps session"),
        (when(SUMMER_DAY, "ten", "11:30"), "is not a date"),
        (when(SUMMER_DAY, "10:00", "11:00") | {"facilitator_id": "999999"}, "Pick the facilitator"),
    ],
    ids=["end-before-start", "past", "unknown-zone", "dst-gap", "too-long", "overlap", "bad-time", "facilitator"],
)
def test_schedule_rejects_bad_times_and_changes_nothing(
    client: TestClient, demo: DemoData, settings: Settings, form: dict[str, str], message: str
) -> None:
    exchange_id = demo_exchange(settings)
    csrf = as_user(client, demo, "coordinator-gb")
    assert (
        post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "09:00", "11:00")).status_code == 303
    )
    before = [(s.id, s.starts_at, s.status) for s in sessions_of(settings, exchange_id)]
    response = post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "12:00", "13:00") | form)
    assert response.status_code == 400
    assert message in response.text
    assert [(s.id, s.starts_at, s.status) for s in sessions_of(settings, exchange_id)] == before


def test_schedule_needs_an_accepted_exchange(client: TestClient, demo: DemoData, settings: Settings) -> None:
    exchange_id = demo_exchange(settings)
    with db(settings) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        exchange.status = ExchangeStatus.PROPOSED
        session.add(exchange)
        session.commit()
    csrf = as_user(client, demo, "coordinator-gb")
    before = len(sessions_of(settings, exchange_id))
    assert (
        post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "10:00", "11:00")).status_code == 409
    )
    assert len(sessions_of(settings, exchange_id)) == before


def test_async_exchange_session_spans_seven_days(client: TestClient, demo: DemoData, settings: Settings) -> None:
    exchange_id = demo_exchange(settings, mode="async")
    csrf = as_user(client, demo, "coordinator-es")
    form = when(SUMMER_DAY, "09:00", "", tz="Europe/Madrid") | {"end_date": ""}
    assert post(client, f"/exchanges/{exchange_id}/sessions", csrf, form).status_code == 303
    new = sessions_of(settings, exchange_id)[-1]
    assert new.starts_at == datetime.fromisoformat(f"{SUMMER_DAY}T07:00:00+00:00")
    assert new.ends_at - new.starts_at == timedelta(days=7)


def test_reschedule_and_cancel_with_a_notice(client: TestClient, demo: DemoData, settings: Settings) -> None:
    exchange_id = demo_exchange(settings)
    csrf = as_user(client, demo, "coordinator-es")
    assert (
        post(
            client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "10:00", "11:00", "Europe/Madrid")
        ).status_code
        == 303
    )
    target = sessions_of(settings, exchange_id)[-1].id
    base = f"/exchanges/{exchange_id}/sessions/{target}"
    moved = when(SUMMER_DAY, "12:00", "13:00", "Europe/Madrid") | {"notice": "Moved for the school trip."}
    assert post(client, f"{base}/reschedule", csrf, moved).status_code == 303
    row = sessions_of(settings, exchange_id)[-1]
    assert (row.starts_at.hour, row.notice) == (10, "Moved for the school trip.")
    assert post(client, f"{base}/cancel", csrf, {"notice": "Strike day."}).status_code == 303
    row = sessions_of(settings, exchange_id)[-1]
    assert (row.status, row.notice) == (SessionStatus.CANCELLED, "Strike day.")
    assert "Strike day." in client.get(f"/exchanges/{exchange_id}").text
    assert post(client, f"{base}/reschedule", csrf, moved).status_code == 409  # cancelled stays cancelled
    live = f"/exchanges/{exchange_id}/sessions/{demo.session_id}/cancel"
    assert post(client, live, csrf, {"notice": "no"}).status_code == 409
    assert sessions_of(settings, exchange_id)[0].status == SessionStatus.LIVE


def test_rules_update_reaches_sessions_not_started(client: TestClient, demo: DemoData, settings: Settings) -> None:
    exchange_id = demo_exchange(settings)
    csrf = as_user(client, demo, "coordinator-gb")
    assert (
        post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "10:00", "11:00")).status_code == 303
    )
    rules = {"mode": "live", "room_size": "4", "max_per_class": "2"}
    assert post(client, f"/exchanges/{exchange_id}/rules", csrf, rules).status_code == 303
    live, scheduled = sessions_of(settings, exchange_id)
    assert (scheduled.room_size, scheduled.max_per_class) == (4, 2)
    assert (live.room_size, live.max_per_class) == (2, None)  # the live one keeps the rooms it has


def test_scheduled_session_opens_and_closes_on_time(client: TestClient, demo: DemoData, settings: Settings) -> None:
    exchange_id = demo_exchange(settings)
    with db(settings) as session:  # the demo's live session would overlap this one
        live = session.get(ExchangeSession, demo.session_id)
        assert live is not None
        live.status = SessionStatus.CLOSED
        session.add(live)
        session.commit()
    csrf = as_user(client, demo, "coordinator-gb")
    london = ZoneInfo("Europe/London")
    start, end = ((datetime.now(UTC) + timedelta(seconds=s)).astimezone(london) for s in (1.5, 3.5))
    form = {
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M:%S"),
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M:%S"),
        "timezone": "Europe/London",
    }
    assert post(client, f"/exchanges/{exchange_id}/sessions", csrf, form).status_code == 303
    seen: list[SessionStatus] = []
    deadline = clock.monotonic() + 8
    while clock.monotonic() < deadline and (not seen or seen[-1] != SessionStatus.CLOSED):
        status = sessions_of(settings, exchange_id)[-1].status
        if not seen or seen[-1] != status:
            seen.append(status)
        clock.sleep(0.1)
    assert seen == [SessionStatus.SCHEDULED, SessionStatus.LIVE, SessionStatus.CLOSED]


def test_school_page_lists_classes_and_proposals_waiting(
    client: TestClient, demo: DemoData, settings: Settings, gb_class: tuple[int, str]
) -> None:
    class_id, csrf = gb_class
    with db(settings) as session:
        es_class = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "CERVA3")).one()
    form = {"partner_class_id": es_class, "title": "Recipes", "mode": "live", "room_size": "2"}
    assert post(client, f"/classes/{class_id}/propose", csrf, form).status_code == 303
    as_user(client, demo, "coordinator-es")
    page = client.get(f"/schools/{demo.school_ids[1]}").text
    assert "Recipes" in page
    assert "waiting for your answer" in page
    assert "CERVA3" in page
    assert csrf_from(page)


@pytest.mark.postgres
def test_class_partners_exchange_and_session_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    """The whole coordinator path on the real PostgreSQL: JSON columns, aware datetimes, joins."""
    pg_settings = make_settings(tmp_path, database_url=postgres_url)
    with TestClient(create_app(pg_settings)) as pg_client:  # the lifespan migrates the empty schema
        engine = make_engine(postgres_url)
        data = seed_demo(engine, pg_settings)
        engine.dispose()
        csrf = as_user(pg_client, data, "coordinator-gb")
        class_id = created_id(
            post(
                pg_client,
                f"/schools/{data.school_ids[0]}/classes/new",
                csrf,
                CLASS_FORM | {"availability": "Mon 09:00-10:00"},
            ),
            "/classes/",
        )
        assert "3º ESO B" in pg_client.get(f"/classes/{class_id}/partners").text
        exchange_id = demo_exchange(pg_settings)
        form = when(SUMMER_DAY, "10:00", "11:00")
        assert post(pg_client, f"/exchanges/{exchange_id}/sessions", csrf, form).status_code == 303
        assert post(pg_client, f"/exchanges/{exchange_id}/sessions", csrf, form).status_code == 400  # overlap
        new = sessions_of(pg_settings, exchange_id)[-1]
        assert new.starts_at == datetime.fromisoformat(f"{SUMMER_DAY}T09:00:00+00:00")
        with db(pg_settings) as session:
            river = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "RIVER9")).one()
        assert pg_client.get(f"/classes/{river}/calendar.ics").text.count("BEGIN:VEVENT") == 2
