"""Schools through the real forms: registration and editing, the school list and page, the staff page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Role, School, SchoolClass, User
from app.security import hash_password
from app.settings import Settings
from tests.app.schools.steps import SCHOOL_FORM, as_user, count, created_id, post
from tests.support.db import db
from tests.support.staff_login import csrf_from, login


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
