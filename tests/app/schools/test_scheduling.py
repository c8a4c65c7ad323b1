"""Scheduling an exchange's sessions: local time stored as UTC, DST gaps refused, reschedule and cancel."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Exchange, ExchangeStatus, User
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import SessionStatus
from tests.app.schools.steps import NEXT_YEAR, SUMMER_DAY, as_user, demo_exchange, post, sessions_of, when
from tests.support.db import db


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
