"""Guessing is slow: join codes and logins are rate-limited per client; failures back off per address and user."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import User
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.staff_login import csrf_from

LIMIT = 5


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(
        tmp_path, join_failure_rate=f"{LIMIT}/minute", login_rate=f"{LIMIT}/minute", login_lockout_failures=3
    )


def test_join_code_guessing_is_rate_limited_with_a_clear_message(client: TestClient, demo: DemoData) -> None:
    statuses = [
        client.post("/api/join", json={"code": f"GUESS{i}", "name": "Mallory"}).status_code for i in range(LIMIT)
    ]
    assert statuses == [404] * LIMIT
    blocked = client.post("/api/join", json={"code": "RIVER9", "name": "Mallory"})  # even the right code now
    assert blocked.status_code == 429
    assert blocked.json() == {
        "error": "rate_limited",
        "message": "Too many join attempts. Wait a minute and try again.",
    }
    form = client.post("/join", data={"csrf_token": csrf_from(client.get("/join").text), "code": "X", "name": "M"})
    assert form.status_code == 429
    assert "Too many join attempts" in form.text


def _login(client: TestClient, username: str, password: str) -> tuple[int, str]:
    csrf = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"csrf_token": csrf, "username": username, "password": password}, follow_redirects=False
    )
    return response.status_code, response.text


def test_login_guessing_is_rate_limited_per_client(client: TestClient, demo: DemoData) -> None:
    statuses = [_login(client, f"nobody{i}", "guess")[0] for i in range(LIMIT)]
    assert statuses == [401] * LIMIT
    status, page = _login(client, "facilitator", demo.logins["facilitator"])
    assert status == 429
    assert "Too many login attempts" in page


def test_login_backs_off_an_address_after_failures_even_for_the_right_password(
    settings: Settings, client: TestClient, demo: DemoData
) -> None:
    assert [_login(client, "coordinator-gb", "wrong")[0] for _ in range(3)] == [401] * 3
    status, page = _login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    assert status == 429
    assert "Too many failed attempts" in page
    with db(settings) as session:  # no lock on the account itself: the teacher elsewhere is unaffected
        user = session.exec(select(User).where(User.username == "coordinator-gb")).one()
    assert user.locked_until is None
