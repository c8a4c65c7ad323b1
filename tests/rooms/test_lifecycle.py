"""The room lifecycle as students and facilitators meet it: leaving, closing a tab, removals, the cross-country wait."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as WS
from starlette.websockets import WebSocketDisconnect

from app.demo import DemoData
from app.settings import Settings
from rooms.lobby import LobbyConfig
from rooms.models import Participant, ParticipantStatus, Room, RoomMember, RoomStatus
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.staff_login import csrf_from, login
from tests.support.students import hello, join, until

CROSS_WAIT = 1.0


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    allowed = getattr(request, "param", True)
    return make_settings(tmp_path, cross_country_wait_seconds=CROSS_WAIT, same_country_rooms=allowed)


def events(ws: WS, count: int) -> list[dict[str, Any]]:
    """The next ``count`` frames that are not typing, presence-joined or heartbeat noise."""
    seen: list[dict[str, Any]] = []
    while len(seen) < count:
        frame = ws.receive_json()
        if frame["type"] in ("typing", "ping") or frame.get("state") == "joined":
            continue
        seen.append(frame)
    return seen


def status_of(settings: Settings, pid: int) -> tuple[ParticipantStatus, int | None]:
    with db(settings) as session:
        p = session.get(Participant, pid)
        assert p is not None
        return p.status, p.room_id


def poll(check: Any, deadline: float = 5.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_leave_tells_the_partner_at_once_and_revokes_the_token(client: TestClient, demo: DemoData) -> None:
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a:
        hello(a, alice["token"])
        with client.websocket_connect("/ws") as b:
            hello(b, bruno["token"])
            room = until(a, "paired")["room"]["id"]
            until(b, "paired")
            b.send_text(json.dumps({"type": "leave"}))
            assert until(b, "event")["event"] == "left"
            with pytest.raises(WebSocketDisconnect) as closed:
                until(b, "never")
            assert (closed.value.code, closed.value.reason) == (4001, "left")
        left, told, repairing = events(a, 3)
        assert (left["type"], left["state"], left["name"]) == ("presence", "left", "Bruno")  # no "reconnecting"
        assert (told["event"], told["name"], told["room"]) == ("partner_left", "Bruno", room)
        assert repairing["event"] == "repairing"
    with client.websocket_connect("/ws") as again:
        again.send_text(json.dumps({"type": "hello", "v": 1, "token": bruno["token"]}))
        assert again.receive_json()["code"] == "token_invalid"
        with pytest.raises(WebSocketDisconnect) as refused:
            again.receive_json()
        assert refused.value.code == 4001


def test_leave_page_revokes_the_token_and_frees_the_partner(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    alice = join(client, "RIVER9", "Alice")
    # The browser path: join with the form, the token sits in the session cookie, the chat page's form posts /leave.
    csrf = csrf_from(client.get("/join").text)
    form = {"csrf_token": csrf, "step": "2", "code": "CERVA3", "name": "Bea", "country": "ES", "languages": "es"}
    assert client.post("/join", data=form, follow_redirects=False).status_code == 303
    chat = client.get("/chat").text
    token = chat.split('data-token="')[1].split('"')[0]
    assert 'id="leave-form"' in chat  # chat.js asks to confirm before this form is sent
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        bea = hello(b, token)["participant"]["id"]
        until(a, "paired")
        response = client.post("/leave", data={"csrf_token": csrf_from(chat)}, follow_redirects=False)
        assert response.status_code == 303
        assert until(b, "event")["event"] == "left"
        left, told, _ = events(a, 3)
        assert (left["state"], told["event"], told["name"]) == ("left", "partner_left", "Bea")
    assert status_of(settings, bea) == (ParticipantStatus.LEFT, None)
    with client.websocket_connect("/ws") as again:
        again.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
        assert again.receive_json()["code"] == "token_invalid"


def test_closing_the_tab_in_the_lobby_takes_the_student_out_of_the_pool_at_once(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    ghost, bruno, carla = (
        join(client, "RIVER9", "Ghost"),
        join(client, "CERVA3", "Bruno"),
        join(client, "RIVER9", "Carla"),
    )
    gid = ghost["participant"]["id"]
    with client.websocket_connect("/ws") as g:
        hello(g, ghost["token"])
        poll(lambda: status_of(settings, gid)[0] == ParticipantStatus.WAITING)
    poll(lambda: status_of(settings, gid)[0] == ParticipantStatus.AWAY)  # no grace for a closed lobby tab
    with client.websocket_connect("/ws") as b:
        hello(b, bruno["token"])
        with client.websocket_connect("/ws") as c:
            hello(c, carla["token"])
            room = until(b, "paired")["room"]
            assert {m["name"] for m in room["members"]} == {"Bruno", "Carla"}
    assert status_of(settings, gid) == (ParticipantStatus.AWAY, None)


def test_one_country_room_waits_for_a_partner_from_the_other_country(client: TestClient, demo: DemoData) -> None:
    amy, ben, cruz = join(client, "RIVER9", "Amy"), join(client, "RIVER9", "Ben"), join(client, "CERVA3", "Cruz")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, amy["token"])
        hello(b, ben["token"])
        time.sleep(CROSS_WAIT / 3)  # well inside the wait: Amy and Ben must not have been paired together
        with client.websocket_connect("/ws") as c:
            hello(c, cruz["token"])
            start = time.monotonic()
            room = until(c, "paired")["room"]
            # Amy (waited longest) and Cruz; Ben is kept out for a partner who may still come (docs/protocol.md).
            assert {m["name"] for m in room["members"]} == {"Amy", "Cruz"}
            assert until(a, "paired")["room"] == room  # Amy's first room is that mixed one: no GB-only room
            third = until(b, "paired")["room"]
            assert time.monotonic() - start < LobbyConfig().odd_hold + 1.0  # nobody came: Ben joins them
            assert third["id"] == room["id"]
            assert sorted(m["country"] for m in third["members"]) == ["ES", "GB", "GB"]


@pytest.mark.parametrize("settings", [True, False], indirect=True, ids=["same-country-room", "keeps-waiting"])
def test_one_country_pool_after_the_wait(client: TestClient, demo: DemoData, settings: Settings) -> None:
    amy, ben = join(client, "RIVER9", "Amy"), join(client, "RIVER9", "Ben")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, amy["token"])
        start = time.monotonic()
        hello(b, ben["token"])
        frame = until(a, "paired") if settings.same_country_rooms else until(a, "event")
        assert time.monotonic() - start >= CROSS_WAIT * 0.8
        if settings.same_country_rooms:
            assert {m["name"] for m in frame["room"]["members"]} == {"Amy", "Ben"}
        else:
            assert (frame["event"], frame["reason"]) == ("waiting", "other_country")


def test_removed_student_is_not_paired_again_with_that_partner(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    alice, bruno, cruz = (
        join(client, "RIVER9", "Alice"),
        join(client, "CERVA3", "Bruno"),
        join(client, "CERVA3", "Cruz"),
    )
    aid = alice["participant"]["id"]
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        room = until(a, "paired")["room"]["id"]
        until(b, "paired")
        url = f"/facilitate/{demo.session_id}/participants/{aid}/remove"
        response = client.post(url, data={"csrf_token": csrf}, headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        assert until(a, "event")["event"] == "moved_out"
        left, told, repairing = events(b, 3)
        assert (left["state"], left["name"]) == ("left", "Alice")
        assert (told["event"], told["name"], told["room"]) == ("partner_removed", "Alice", room)
        assert repairing["event"] == "repairing"
        # Both wait past the cross-country wait, yet are never put back together: they are told why they wait.
        assert until(a, "event")["event"] == "waiting"
        assert status_of(settings, aid)[0] == ParticipantStatus.WAITING
        with client.websocket_connect("/ws") as c:
            hello(c, cruz["token"])
            new_room = until(a, "paired")["room"]
            assert {m["name"] for m in new_room["members"]} == {"Alice", "Cruz"}


def test_two_facilitators_moving_one_student_leave_one_seat(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    people = [("RIVER9", "A1"), ("CERVA3", "B1"), ("RIVER9", "A2"), ("CERVA3", "B2")]
    tokens = [join(client, code, name)["token"] for code, name in people]
    with (
        client.websocket_connect("/ws") as s1,
        client.websocket_connect("/ws") as s2,
        client.websocket_connect("/ws") as s3,
        client.websocket_connect("/ws") as s4,
    ):
        sockets = [s1, s2, s3, s4]
        ids = [hello(ws, token)["participant"]["id"] for ws, token in zip(sockets, tokens, strict=True)]
        rooms = [until(ws, "paired")["room"]["id"] for ws in sockets]
        target = next(r for r in rooms if r != rooms[0])
        url = f"/facilitate/{demo.session_id}/move"
        data = {"csrf_token": csrf, "participant_id": ids[0], "room_id": target}
        first = client.post(url, data=data, headers={"Accept": "application/json"})
        second = client.post(url, data=data, headers={"Accept": "application/json"})  # the other console, stale
        assert (first.status_code, second.status_code) == (200, 409)
    with db(settings) as session:
        seats = session.exec(
            select(RoomMember).where(RoomMember.participant_id == ids[0], col(RoomMember.left_at).is_(None))
        ).all()
        assert [m.room_id for m in seats] == [target]
        old = session.get(Room, rooms[0])
        assert old is not None
        assert old.status == RoomStatus.CLOSED or [
            m for m in session.exec(select(RoomMember).where(RoomMember.room_id == rooms[0])) if m.left_at is None
        ]
