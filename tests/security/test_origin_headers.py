"""Browser-facing defences: WebSocket Origin checks, cookie flags, and security headers on every GET route."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.demo import DemoData
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.security.world import ADMIN, PASSWORD, add_admin, build_world
from tests.support.staff_login import login
from tests.support.students import hello, join

REQUIRED = {
    "content-security-policy": "script-src 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("http://testserver", True),
        ("HTTP://TESTSERVER", True),
        (None, True),
        ("http://evil.example", False),
        ("http://testserver.evil.example", False),
        ("https://testserver:8443", False),
        ("null", False),
    ],
    ids=["same-origin", "same-origin-case", "no-origin", "foreign", "lookalike", "other-port", "null"],
)
@pytest.mark.parametrize("path", ["/ws", "/ws/watch?session=1"])
def test_websocket_origin_is_checked(
    client: TestClient, demo: DemoData, path: str, origin: str | None, accepted: bool
) -> None:
    headers = {"origin": origin} if origin else {}
    if path == "/ws/watch?session=1":
        login(client, "facilitator", demo.logins["facilitator"])
    if not accepted:
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(path, headers=headers):
            pass
        assert (refused.value.code, refused.value.reason) == (4008, "origin_not_allowed")
        return
    with client.websocket_connect(path, headers=headers) as ws:
        if path == "/ws":
            hello(ws, join(client, "RIVER9", "Alice")["token"])
        else:
            assert ws.receive_json()["type"] == "watching"


def _cookie_flags(set_cookie: str) -> set[str]:
    return {part.strip().lower().split("=")[0] for part in set_cookie.split(";")[1:]} | {
        part.strip().lower() for part in set_cookie.split(";")[1:] if part.strip().lower().startswith("samesite")
    }


@pytest.mark.parametrize("env", ["development", "production"])
def test_cookies_are_httponly_samesite_and_secure_in_production(
    tmp_path: Path, migrated_template: Path, env: str
) -> None:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    app = create_app(make_settings(tmp_path, env=env))
    with TestClient(app, base_url="https://testserver") as client:
        session_cookie = client.get("/join").headers["set-cookie"]
        language_cookie = client.post(
            "/language",
            data={"lang": "fr", "next": "/", "csrf_token": _csrf(client)},
            follow_redirects=False,
        ).headers.get_list("set-cookie")
    for header in [session_cookie, *language_cookie]:
        flags = _cookie_flags(header)
        assert "httponly" in flags, header
        assert "samesite=lax" in flags, header
    assert ("secure" in _cookie_flags(session_cookie)) == (env == "production")


def _csrf(client: TestClient) -> str:
    from tests.support.staff_login import csrf_from

    return csrf_from(client.get("/join").text)


GET_ROUTES = sorted(
    r.path
    for r in create_app(make_settings(Path("/tmp/bridgeway-route-list"))).routes
    if isinstance(r, Route) and r.methods is not None and "GET" in r.methods
)


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_get_route_sends_the_security_headers(
    client: TestClient, demo: DemoData, settings: Settings, who: str
) -> None:
    world = build_world(client, demo, settings)
    if who == "admin":
        add_admin(settings)
        login(client, ADMIN, PASSWORD)
    paths = [world.fill(p, pick) for p in GET_ROUTES for pick in (0, 2)] + ["/static/css/app.css", "/nope"]
    for path in paths:
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        for name, value in REQUIRED.items():
            assert value in response.headers.get(name, ""), (path, response.status_code, name)
