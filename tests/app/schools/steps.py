"""What the schools tests share: the demo's staff logged in, form posts, and exchanges made ready."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, func, select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Exchange, School, SchoolClass
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import ExchangeSession
from tests.support.db import db
from tests.support.staff_login import login

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


def class_ids(settings: Settings) -> tuple[int, int]:
    with db(settings) as session:
        gb = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "RIVER9")).one()
        es = session.exec(select(SchoolClass.id).where(SchoolClass.join_code == "CERVA3")).one()
    assert gb is not None
    assert es is not None
    return gb, es
