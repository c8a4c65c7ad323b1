"""The scheduler opens scheduled sessions at their start and closes them at their end."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from app.demo import DemoData
from app.settings import Settings
from rooms.models import ExchangeSession, SessionStatus
from tests.app.schools.steps import as_user, demo_exchange, post, sessions_of
from tests.support.db import db


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
