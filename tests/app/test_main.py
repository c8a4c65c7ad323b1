"""The app factory: health check, security headers, error pages, body limit, home page."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from tests.conftest import make_settings


def test_healthz_reports_database_and_broker_ok_on_sqlite(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.postgres
def test_healthz_ok_on_postgres_after_migrating_an_empty_database(tmp_path, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(tmp_path, database_url=postgres_url))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "broker": "ok"}
        assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/", "/join", "/login", "/healthz", "/no-such-page"], ids=lambda p: p.strip("/") or "home"
)
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_unknown_page_gets_friendly_html_404(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert "Traceback" not in response.text


def test_unknown_api_path_gets_json_404(client: TestClient) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "status": 404}


def test_request_body_over_limit_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/api/join", content=b"x" * 1_100_000, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_home_page_routes_students_facilitators_and_schools(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/join"' in page
    assert 'href="/login?next=/facilitate"' in page
    assert 'href="/login?next=/schools"' in page


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    response = client.get("/join")
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()


def test_production_cookie_is_secure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, env="production")
    assert settings.cookie_secure is True
