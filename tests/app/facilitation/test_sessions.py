"""The facilitator's list of sessions, shown in the school's time."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.demo import DemoData


def test_session_list_shows_live_session_in_school_time(client: TestClient, csrf: str, demo: DemoData) -> None:
    page = client.get("/facilitate")
    assert page.status_code == 200
    assert "Demo exchange: our towns" in page.text
    assert "Europe/London" in page.text
    assert f'href="/facilitate/{demo.session_id}"' in page.text
