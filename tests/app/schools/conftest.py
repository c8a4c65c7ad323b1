"""Fixtures of the schools tests: a coordinator without a school, and a class of the demo's GB school."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Role, User
from app.security import hash_password
from app.settings import Settings
from tests.app.schools.steps import CLASS_FORM, as_user, created_id, post
from tests.support.db import db


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


@pytest.fixture
def gb_class(client: TestClient, demo: DemoData) -> tuple[int, str]:
    """A new GB class (Mon-Fri 14:00-16:00 London) and the GB coordinator's CSRF token."""
    csrf = as_user(client, demo, "coordinator-gb")
    form = CLASS_FORM | {"availability": "\n".join(f"{d} 14:00-16:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri"))}
    return created_id(post(client, f"/schools/{demo.school_ids[0]}/classes/new", csrf, form), "/classes/"), csrf
