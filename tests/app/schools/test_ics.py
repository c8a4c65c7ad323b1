"""Class calendars: the staff download and the signed public feed, parsed back with icalendar."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Exchange, SchoolClass
from app.schools.ics import slug
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import ExchangeSession, SessionStatus
from tests.app.schools.steps import class_ids
from tests.support.db import db
from tests.support.staff_login import login

SUMMER_DAY = f"{utcnow().year + 1}-07-05"


@pytest.fixture
def scheduled(client: TestClient, demo: DemoData, settings: Settings) -> tuple[int, int]:
    """Two sessions added through the scheduling form (the second then cancelled); returns their ids."""
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    with db(settings) as session:
        exchange_id = session.exec(select(Exchange.id)).one()
    ids: list[int] = []
    for start, end in (("10:00", "11:00"), ("14:00", "15:00")):
        form = {
            "csrf_token": csrf,
            "start_date": SUMMER_DAY,
            "start_time": start,
            "end_date": SUMMER_DAY,
            "end_time": end,
            "timezone": "Europe/London",
            "topic": f"Topic {start}",
        }
        assert client.post(f"/exchanges/{exchange_id}/sessions", data=form, follow_redirects=False).status_code == 303
        with db(settings) as session:
            newest = session.exec(select(ExchangeSession.id).order_by(col(ExchangeSession.id).desc())).first()
        assert newest is not None
        ids.append(newest)
    cancel = {"csrf_token": csrf, "notice": "Sports day."}
    path = f"/exchanges/{exchange_id}/sessions/{ids[1]}/cancel"
    assert client.post(path, data=cancel, follow_redirects=False).status_code == 303
    return ids[0], ids[1]


def events(body: bytes) -> dict[str, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_class_calendar_has_one_event_per_session_in_utc(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    gb, _ = class_ids(settings)
    response = client.get(f"/classes/{gb}/calendar.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    found = events(response.content)
    kept, cancelled = scheduled
    assert set(found) == {
        f"session-{demo.session_id}@127.0.0.1",
        f"session-{kept}@127.0.0.1",
        f"session-{cancelled}@127.0.0.1",
    }
    event = found[f"session-{kept}@127.0.0.1"]
    assert event.decoded("DTSTART") == datetime.fromisoformat(f"{SUMMER_DAY}T09:00:00").replace(tzinfo=UTC)
    assert event.decoded("DTEND") == datetime.fromisoformat(f"{SUMMER_DAY}T10:00:00").replace(tzinfo=UTC)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Demo exchange: our towns"
    gone = found[f"session-{cancelled}@127.0.0.1"]
    assert str(gone["STATUS"]) == "CANCELLED"
    assert "Sports day." in str(gone["DESCRIPTION"])


def test_class_calendar_uids_are_stable_across_fetches_and_reschedules(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    gb, _ = class_ids(settings)
    first = events(client.get(f"/classes/{gb}/calendar.ics").content)
    with db(settings) as session:
        row = session.get(ExchangeSession, scheduled[0])
        assert row is not None
        row.starts_at = row.starts_at.replace(hour=8)
        session.add(row)
        session.commit()
    second = events(client.get(f"/classes/{gb}/calendar.ics").content)
    assert set(first) == set(second)
    assert second[f"session-{scheduled[0]}@127.0.0.1"].decoded("DTSTART").hour == 8


def feed_path(client: TestClient, class_id: int) -> str:
    page = client.get(f"/classes/{class_id}").text
    found = re.search(r'value="http://127\.0\.0\.1:8000(/ics/[^"]+\.ics)"', page)
    assert found is not None
    return found.group(1)


def test_public_feed_serves_the_same_calendar_without_a_login(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    gb, _ = class_ids(settings)
    path = feed_path(client, gb)
    staff_view = events(client.get(f"/classes/{gb}/calendar.ics").content)
    client.cookies.clear()
    response = client.get(path)
    assert response.status_code == 200
    assert set(events(response.content)) == set(staff_view)
    assert client.get(f"/classes/{gb}/calendar.ics", follow_redirects=False).status_code == 303  # staff URL needs login


def test_partner_class_feed_lists_the_shared_sessions(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    _, es = class_ids(settings)
    login(client, "coordinator-es", demo.logins["coordinator-es"])
    found = events(client.get(feed_path(client, es)).content)
    assert f"session-{scheduled[0]}@127.0.0.1" in found


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: ("Mg" if not t.startswith("Mg.") else "MQ") + t[t.index(".") :],
        lambda t: "nonsense",
    ],
    ids=["signature-changed", "class-id-swapped", "garbage"],
)
def test_public_feed_rejects_tampered_tokens(
    client: TestClient, demo: DemoData, settings: Settings, tamper: object
) -> None:
    gb, _ = class_ids(settings)
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    token = feed_path(client, gb).removeprefix("/ics/").removesuffix(".ics")
    client.cookies.clear()
    assert callable(tamper)
    assert client.get(f"/ics/{tamper(token)}.ics").status_code == 404
    assert client.get(f"/ics/{token}.ics").status_code == 200


def test_public_feed_of_a_deleted_class_is_gone(client: TestClient, demo: DemoData, settings: Settings) -> None:
    with db(settings) as session:
        lonely = SchoolClass(
            school_id=demo.school_ids[0],
            name="Temp",
            age_band="13-15",
            join_code="TEMPTEMP",
            join_code_expires_at=utcnow(),
        )
        session.add(lonely)
        session.commit()
        lonely_id = lonely.id
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    path = feed_path(client, lonely_id or 0)
    assert client.get(path).status_code == 200
    assert len(events(client.get(path).content)) == 0
    with db(settings) as session:
        row = session.get(SchoolClass, lonely_id)
        session.delete(row)
        session.commit()
    assert client.get(path).status_code == 404


def test_sessions_of_other_exchanges_stay_out(client: TestClient, demo: DemoData, settings: Settings) -> None:
    with db(settings) as session:
        other = Exchange(title="Someone else's")
        session.add(other)
        session.flush()
        session.add(
            ExchangeSession(
                exchange_id=other.id or 0, starts_at=utcnow(), ends_at=utcnow(), status=SessionStatus.SCHEDULED
            )
        )
        session.commit()
    gb, _ = class_ids(settings)
    login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    assert set(events(client.get(f"/classes/{gb}/calendar.ics").content)) == {f"session-{demo.session_id}@127.0.0.1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Demo exchange: our towns", "demo-exchange-our-towns"),
        ("Café à Paris!", "cafe-a-paris"),
        ("../../etc/passwd", "etc-passwd"),
        ('a"b;c\r\nSet-Cookie: x', "a-b-c-set-cookie-x"),
        ("تبادل", "fallback"),
        ("x" * 100, "x" * 60),
    ],
    ids=["plain", "accents", "path", "header-injection", "arabic-only", "long"],
)
def test_slug_is_a_safe_file_name(text: str, expected: str) -> None:
    assert slug(text, "fallback") == expected


def test_class_calendar_is_named_after_the_class_with_the_join_link(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    gb, _ = class_ids(settings)
    response = client.get(f"/classes/{gb}/calendar.ics")
    with db(settings) as session:
        name = session.exec(select(SchoolClass.name).where(SchoolClass.id == gb)).one()
    assert response.headers["content-disposition"] == f'attachment; filename="{slug(name, "x")}.ics"'
    event = events(response.content)[f"session-{scheduled[0]}@127.0.0.1"]
    description = str(event["DESCRIPTION"])
    assert "Students join at http://127.0.0.1:8000/join?code=RIVER9" in description
    assert "Topic: Topic 10:00" in description
    assert str(event["URL"]) == "http://127.0.0.1:8000/join?code=RIVER9"


def test_exchange_calendar_is_named_after_the_exchange_in_the_reader_language(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    login(client, "coordinator-es", demo.logins["coordinator-es"])
    with db(settings) as session:
        exchange = session.exec(select(Exchange)).one()
    page = client.get(f"/exchanges/{exchange.id}").text
    assert f'href="/exchanges/{exchange.id}/calendar.ics"' in page
    client.cookies.set("bw_lang", "es")
    response = client.get(f"/exchanges/{exchange.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="{slug(exchange.title, "x")}.ics"'
    found = events(response.content)
    assert set(found) >= {f"session-{scheduled[0]}@127.0.0.1", f"session-{scheduled[1]}@127.0.0.1"}
    description = str(found[f"session-{scheduled[1]}@127.0.0.1"]["DESCRIPTION"])
    # The Spanish coordinator's own class code, in Spanish.
    assert "http://127.0.0.1:8000/join?code=CERVA3" in description
    assert "Aviso: Sports day." in description


def test_exchange_calendar_refused_to_a_school_not_taking_part(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    login(client, "facilitator", demo.logins["facilitator"])
    with db(settings) as session:
        exchange_id = session.exec(select(Exchange.id)).one()
    assert client.get(f"/exchanges/{exchange_id}/calendar.ics", follow_redirects=False).status_code == 403


def test_public_feed_never_carries_the_class_code(
    client: TestClient, demo: DemoData, settings: Settings, scheduled: tuple[int, int]
) -> None:
    gb, _ = class_ids(settings)
    path = feed_path(client, gb)
    client.cookies.clear()
    body = client.get(path).content
    assert b"RIVER9" not in body
    assert "Students join at http://127.0.0.1:8000/join" in str(
        events(body)[f"session-{scheduled[0]}@127.0.0.1"]["DESCRIPTION"]
    )
