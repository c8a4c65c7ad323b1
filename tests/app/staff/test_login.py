"""Staff login through the real form: one answer for unknown users and wrong passwords, at one cost."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from app.demo import DemoData
from tests.support.staff_login import csrf_from


def _attempt(client: TestClient, username: str, password: str) -> tuple[int, str, float]:
    token = csrf_from(client.get("/login").text)
    form = {"csrf_token": token, "username": username, "password": password, "next": "/"}
    started = time.process_time()
    response = client.post("/login", data=form, follow_redirects=False)
    return response.status_code, response.text, time.process_time() - started


def test_an_unknown_username_costs_and_reads_like_a_wrong_password(client: TestClient, demo: DemoData) -> None:
    """Neither the page nor the CPU spent may tell a prober which usernames exist: both run argon2 once."""
    username, password = next(iter(demo.logins.items()))
    wrong = _attempt(client, username, password + "-not")
    unknown = _attempt(client, "no-such-teacher", password)
    assert (wrong[0], unknown[0]) == (401, 401)
    assert "Wrong username or password." in wrong[1]
    assert unknown[1] == wrong[1].replace(username, "no-such-teacher")
    # argon2 is ~0.15 s of CPU here and the rest of a request ~1 ms: a path that skipped it would be far below half.
    assert unknown[2] > 0.5 * wrong[2], (unknown[2], wrong[2])
    status, _, _ = _attempt(client, username, password)
    assert status == 303
