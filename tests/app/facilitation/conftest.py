"""Fixtures of the facilitation tests: the demo facilitator logged in, with its CSRF token."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.demo import DemoData
from tests.support.staff_login import login


@pytest.fixture
def csrf(client: TestClient, demo: DemoData) -> str:
    return login(client, "facilitator", demo.logins["facilitator"])
