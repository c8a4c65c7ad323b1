"""Who may watch a session live over /ws/watch, and who may pull its exports: the socket side of the matrix."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.demo import DemoData
from app.models import Role, School, User
from app.security import hash_password
from app.settings import Settings
from tests.security.world import ADMIN, PASSWORD, add_admin
from tests.support.db import db
from tests.support.staff_login import csrf_from, login
from tests.support.students import join

OUTSIDER = "facilitator-fr"


def _add_outsider(settings: Settings) -> None:
    with db(settings) as session:
        school = School(name="École sans échange", country="FR", languages=["fr"], timezone="Europe/Paris")
        session.add(school)
        session.flush()
        session.add(
            User(
                username=OUTSIDER,
                display_name="Outsider",
                password_hash=hash_password(PASSWORD),
                role=Role.FACILITATOR,
                school_id=school.id,
            )
        )
        session.commit()


def _become(client: TestClient, demo: DemoData, settings: Settings, who: str) -> None:
    if who == "student":
        response = client.post(
            "/join",
            data={"csrf_token": csrf_from(client.get("/join").text), "code": "RIVER9", "name": "Sam", "step": "2"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/chat"  # the browser now holds a student's session cookie
    elif who == "outsider":
        _add_outsider(settings)
        login(client, OUTSIDER, PASSWORD)
    elif who == "admin":
        add_admin(settings)
        login(client, ADMIN, PASSWORD)
    elif who != "anonymous":
        login(client, who, demo.logins[who])


# (who, close code when refused or None when watching is allowed)
MATRIX = [
    ("anonymous", 4001),
    ("student", 4001),
    ("outsider", 4003),  # a facilitator of a school outside the exchange
    ("coordinator-es", None),  # the partner school's coordinator
    ("coordinator-gb", None),
    ("facilitator", None),  # the session's own facilitator
    ("admin", None),
]


@pytest.mark.parametrize(("who", "refused"), MATRIX, ids=[m[0] for m in MATRIX])
def test_watch_socket_by_role_and_school(
    client: TestClient, demo: DemoData, settings: Settings, who: str, refused: int | None
) -> None:
    _become(client, demo, settings, who)
    path = f"/ws/watch?session={demo.session_id}"
    if refused is not None:
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(path):
            pass
        assert closed.value.code == refused
        return
    with client.websocket_connect(path) as ws:
        assert ws.receive_json() == {"type": "watching", "session": demo.session_id}


@pytest.mark.parametrize("session", ["999999", "abc", "-1", "", "1%00"], ids=["unknown", "text", "neg", "empty", "nul"])
def test_watch_socket_for_a_missing_session_is_forbidden(client: TestClient, demo: DemoData, session: str) -> None:
    login(client, "facilitator", demo.logins["facilitator"])
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(f"/ws/watch?session={session}"):
        pass
    assert closed.value.code == 4003


def test_watch_socket_ignores_student_frames_and_never_relays_them(client: TestClient, demo: DemoData) -> None:
    """A watcher's socket is read-only: sending chat frames on it stores nothing and gets unknown_type."""
    login(client, "facilitator", demo.logins["facilitator"])
    with client.websocket_connect(f"/ws/watch?session={demo.session_id}") as ws:
        ws.receive_json()
        ws.send_json({"type": "send", "client_id": "x", "text": "posing as a student"})
        assert ws.receive_json()["code"] == "unknown_type"


EXPORTS = ["transcript.csv", "transcript.json", "safeguarding.csv", "safeguarding.json"]


@pytest.mark.parametrize("who", ["student", "outsider"])
@pytest.mark.parametrize("export", EXPORTS)
def test_exports_are_refused_to_students_and_outsiders(
    client: TestClient, demo: DemoData, settings: Settings, who: str, export: str
) -> None:
    join(client, "CERVA3", "Bruno")
    _become(client, demo, settings, who)
    response = client.get(f"/facilitate/{demo.session_id}/export/{export}", follow_redirects=False)
    assert response.status_code == (303 if who == "student" else 403)
    assert "Bruno" not in response.text
