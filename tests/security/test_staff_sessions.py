"""Staff sessions live on the server: logout, password change and disable end them all, sockets included.

Findings 1 and 2 (and the cookie part of 11): a cookie copied before logout, or from before a password
reset, must not open pages, exports or the watch socket; an open watch socket must close when its session
ends; staff change their own password and an admin resets, disables and deletes accounts, each audited.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.demo import DemoData
from app.models import User
from app.security import hash_password
from app.settings import Settings
from app.staff import accounts
from tests.conftest import make_settings
from tests.security.world import ADMIN, PASSWORD, add_admin
from tests.support.db import audit_rows, db
from tests.support.staff_login import csrf_from, login

FACILITATOR = "facilitator"


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, staff_session_check_seconds=0.1)


def _user_id(settings: Settings, username: str) -> int:
    with db(settings) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        return user.id


def _reset_by_admin(settings: Settings, username: str) -> None:
    with db(settings) as session:
        accounts.set_password(session, _user_id(settings, username), hash_password("a brand new password"), None)


def _watch_closed(client: TestClient, demo: DemoData) -> int:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(f"/ws/watch?session={demo.session_id}"):
        pass
    return closed.value.code


def test_watch_socket_refuses_a_cookie_from_before_a_password_reset(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    login(client, FACILITATOR, demo.logins[FACILITATOR])
    _reset_by_admin(settings, FACILITATOR)
    assert client.get(f"/facilitate/{demo.session_id}", follow_redirects=False).status_code == 303
    assert _watch_closed(client, demo) == 4001


def _logout(client: TestClient, settings: Settings, csrf: str, demo: DemoData) -> None:
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303


def _change_password(client: TestClient, settings: Settings, csrf: str, demo: DemoData) -> None:
    new = "another long password"
    response = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": demo.logins[FACILITATOR], "new_password": new, "confirm": new},
    )
    assert response.status_code == 200, response.text


def _disable(client: TestClient, settings: Settings, csrf: str, demo: DemoData) -> None:
    with db(settings) as session:
        accounts.set_disabled(session, _user_id(settings, FACILITATOR), True, None)


ENDINGS: dict[str, Callable[[TestClient, Settings, str, DemoData], None]] = {
    "logout": _logout,
    "password-change": _change_password,
    "disable": _disable,
}


def _read_until_closed(ws: WebSocketTestSession) -> None:
    while True:  # the session check runs every 0.1 s in these tests
        ws.receive_json()


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_open_watch_socket_closes_when_the_staff_session_ends(
    app: object, demo: DemoData, settings: Settings, ending: str
) -> None:
    """The copied cookie (another browser) watches live; ending the session on this one closes that socket."""
    with TestClient(app) as mine, TestClient(app) as copied:  # type: ignore[arg-type]
        csrf = login(mine, FACILITATOR, demo.logins[FACILITATOR])
        copied.cookies.set("bw_session", mine.cookies["bw_session"])
        with copied.websocket_connect(f"/ws/watch?session={demo.session_id}") as ws:
            assert ws.receive_json()["type"] == "watching"
            ENDINGS[ending](mine, settings, csrf, demo)
            with pytest.raises(WebSocketDisconnect) as closed:
                _read_until_closed(ws)
        assert closed.value.code == 4001
        assert closed.value.reason == "session_ended"
        assert copied.get(f"/facilitate/{demo.session_id}", follow_redirects=False).status_code == 303


def test_a_cookie_copied_before_logout_opens_nothing_after_it(client: TestClient, demo: DemoData) -> None:
    csrf = login(client, FACILITATOR, demo.logins[FACILITATOR])
    copied = client.cookies["bw_session"]
    assert client.get(f"/facilitate/{demo.session_id}", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    client.cookies.set("bw_session", copied)
    assert client.get(f"/facilitate/{demo.session_id}", follow_redirects=False).status_code == 303
    export = client.get(f"/facilitate/{demo.session_id}/export/safeguarding.json", follow_redirects=False)
    assert export.status_code in (303, 401)
    assert _watch_closed(client, demo) == 4001


def test_staff_cookie_carries_no_part_of_the_password_hash(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    login(client, FACILITATOR, demo.logins[FACILITATOR])
    payload = client.cookies["bw_session"].split(".")[0]
    session = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    with db(settings) as db_session:
        password_hash = db_session.exec(select(User.password_hash).where(User.username == FACILITATOR)).one()
    assert set(session) == {"uid", "sv", "csrf"}
    assert not any(password_hash[i : i + 8] in json.dumps(session) for i in range(len(password_hash) - 8))


def test_password_change_needs_the_current_password_and_csrf(client: TestClient, demo: DemoData) -> None:
    csrf = login(client, FACILITATOR, demo.logins[FACILITATOR])
    new = "another long password"
    fields = {"current_password": "wrong", "new_password": new, "confirm": new}
    forged = client.post("/account/password", data={"csrf_token": "forged", **fields})
    assert forged.status_code == 403
    wrong = client.post("/account/password", data={"csrf_token": csrf, **fields})
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.text
    fields["current_password"] = demo.logins[FACILITATOR]
    changed = client.post("/account/password", data={"csrf_token": csrf, **fields})
    assert changed.status_code == 200
    assert 'id="password-changed"' in changed.text
    assert client.get(f"/facilitate/{demo.session_id}", follow_redirects=False).status_code == 200  # still in
    client.cookies.clear()
    login(client, FACILITATOR, new)


@pytest.mark.parametrize("action", ["reset", "disable", "delete"])
def test_admin_account_actions_end_sessions_and_are_audited(
    app: object, demo: DemoData, settings: Settings, action: str
) -> None:
    add_admin(settings)
    with TestClient(app) as admin, TestClient(app) as teacher:  # type: ignore[arg-type]
        login(teacher, FACILITATOR, demo.logins[FACILITATOR])
        login(admin, ADMIN, PASSWORD)
        page = admin.get("/admin/accounts")
        assert page.status_code == 200
        user_id = _user_id(settings, FACILITATOR)
        done = admin.post(f"/admin/accounts/{user_id}/{action}", data={"csrf_token": csrf_from(page.text)})
        assert done.status_code == 200, done.text
        assert teacher.get(f"/facilitate/{demo.session_id}", follow_redirects=False).status_code == 303
    rows = audit_rows(settings, f"account_{action}")
    assert [(r.actor_user_id, r.reason) for r in rows] == [(_user_id(settings, ADMIN), f"user {user_id} facilitator")]
    if action == "disable":
        with TestClient(app) as again:  # type: ignore[arg-type]
            token = csrf_from(again.get("/login").text)
            data = {"csrf_token": token, "username": FACILITATOR, "password": demo.logins[FACILITATOR]}
            assert again.post("/login", data=data, follow_redirects=False).status_code == 401


def test_account_pages_are_for_admins_only(client: TestClient, demo: DemoData) -> None:
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    assert client.get("/admin/accounts", follow_redirects=False).status_code == 403
    target = client.post("/admin/accounts/1/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert target.status_code == 403
