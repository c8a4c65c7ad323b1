"""Classes through the real forms: creating and editing, unambiguous join codes, rotation and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import SchoolClass
from app.schools.classes import CODE_ALPHABET
from app.settings import Settings
from rooms.clock import utcnow
from tests.app.schools.steps import CLASS_FORM, as_user, count, created_id, post
from tests.support.db import db


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
