"""Exchanges: proposed, answered by the partner only, rules reaching sessions; the whole path on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.main import create_app
from app.models import Exchange, ExchangeClass, ExchangeStatus, Role, School, SchoolClass, User
from app.security import hash_password
from app.settings import Settings
from tests.app.schools.steps import (
    CLASS_FORM,
    SUMMER_DAY,
    add_school,
    as_user,
    created_id,
    demo_exchange,
    post,
    sessions_of,
    when,
)
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.staff_login import login


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
