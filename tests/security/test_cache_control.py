"""Pages that carry a token or student data are never cached (finding 11): ``Cache-Control: no-store``."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.demo import DemoData
from tests.support.staff_login import csrf_from, login


def test_chat_page_with_the_student_token_is_not_stored(client: TestClient, demo: DemoData) -> None:
    csrf = csrf_from(client.get("/join").text)
    client.post("/join", data={"csrf_token": csrf, "code": "RIVER9", "name": "Sam", "step": "2"})
    chat = client.get("/chat")
    assert chat.status_code == 200
    assert "token" in chat.text
    assert chat.headers["cache-control"] == "no-store"


def test_staff_pages_exports_and_api_answers_are_not_stored(client: TestClient, demo: DemoData) -> None:
    login(client, "facilitator", demo.logins["facilitator"])
    base = f"/facilitate/{demo.session_id}"
    for path in (base, f"{base}/queue", f"{base}/export/transcript.csv", f"{base}/export/safeguarding.json", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    assert client.post("/api/join", json={"code": "RIVER9", "name": "Ana"}).headers["cache-control"] == "no-store"


def test_static_files_stay_cacheable(client: TestClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
