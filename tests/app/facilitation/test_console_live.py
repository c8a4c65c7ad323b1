"""The console stays live: watchers are told every student's state change, and the page can draw later rooms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as WS

from app.demo import DemoData
from tests.support.staff_login import login
from tests.support.students import hello, join, paired_pair, send, until

JSON = {"Accept": "application/json"}


@pytest.fixture
def csrf(client: TestClient, demo: DemoData) -> str:
    return login(client, "facilitator", demo.logins["facilitator"])


def _watch(client: TestClient, demo: DemoData) -> Any:
    return client.websocket_connect(f"/ws/watch?session={demo.session_id}")


def student_state(w: WS, pid: int, status: str, limit: int = 100) -> dict[str, Any]:
    """Read watcher frames until a ``student`` frame says ``pid`` is now ``status``; return that student."""
    for _ in range(limit):
        frame: dict[str, Any] = w.receive_json()
        if frame["type"] == "student" and frame["student"]["id"] == pid and frame["student"]["status"] == status:
            return dict(frame["student"])
    raise AssertionError(f"no student frame with {pid} {status!r} within {limit} frames")


def test_watchers_see_students_join_connect_pair_and_leave(client: TestClient, csrf: str, demo: DemoData) -> None:
    with _watch(client, demo) as w:
        assert w.receive_json()["type"] == "watching"
        alice = join(client, "RIVER9", "Alice")
        pid = alice["participant"]["id"]
        joined = student_state(w, pid, "away")
        assert (joined["name"], joined["country"], joined["room"], joined["muted_until"]) == ("Alice", "GB", None, None)
        assert "token" not in json.dumps(joined)
        bruno = join(client, "CERVA3", "Bruno")
        with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
            hello(a, alice["token"])
            assert student_state(w, pid, "waiting")["room"] is None
            hello(b, bruno["token"])
            room = until(w, "room_opened")["room"]
            assert {m["name"] for m in room["members"]} == {"Alice", "Bruno"}
            until(a, "paired")
            a.send_text(json.dumps({"type": "leave"}))
            left = student_state(w, pid, "left")
            assert left["room"] is None
            # Bruno, alone, goes back to the lobby at once: the console sees that too.
            assert student_state(w, bruno["participant"]["id"], "waiting")["room"] is None


def test_watchers_see_a_waiting_student_go_away_when_the_tab_closes(
    client: TestClient, csrf: str, demo: DemoData
) -> None:
    with _watch(client, demo) as w:
        assert w.receive_json()["type"] == "watching"
        ghost = join(client, "RIVER9", "Ghost")
        pid = ghost["participant"]["id"]
        with client.websocket_connect("/ws") as ws:
            hello(ws, ghost["token"])
            student_state(w, pid, "waiting")
        assert student_state(w, pid, "away")["room"] is None


def test_watchers_see_mute_unmute_remove_and_ban(client: TestClient, csrf: str, demo: DemoData) -> None:
    base = f"/facilitate/{demo.session_id}/participants"
    with paired_pair(client) as (_a, b, room, alice, bruno), _watch(client, demo) as w:
        assert w.receive_json()["type"] == "watching"
        muted = client.post(f"{base}/{alice}/mute", data={"csrf_token": csrf, "minutes": "5"}, headers=JSON)
        assert muted.status_code == 200
        seen = student_state(w, alice, "paired")
        assert (seen["room"], seen["muted_until"]) == (room, muted.json()["muted_until"])
        client.post(f"{base}/{alice}/unmute", data={"csrf_token": csrf}, headers=JSON)
        assert student_state(w, alice, "paired")["muted_until"] is None
        client.post(f"{base}/{alice}/remove", data={"csrf_token": csrf}, headers=JSON)
        assert student_state(w, alice, "waiting")["room"] is None
        client.post(f"{base}/{bruno}/ban", data={"csrf_token": csrf}, headers=JSON)
        banned = student_state(w, bruno, "banned")
        assert banned["room"] is None
        until(b, "event")


def test_stats_say_which_messages_they_counted(client: TestClient, csrf: str, demo: DemoData) -> None:
    """The console counts each message frame once: those up to ``last_message_id`` are in the figures already."""
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        assert client.get(f"/facilitate/{demo.session_id}/stats.json").json()["last_message_id"] == 0
        send(a, "c1", "one two")
        sent = until(a, "ack")
        until(b, "message")
        stats = client.get(f"/facilitate/{demo.session_id}/stats.json").json()
    assert stats["last_message_id"] == sent["id"]
    alice = next(p for p in stats["participants"] if p["name"] == "Alice")
    assert (alice["messages"], alice["words"], alice["status"], alice["erased"]) == (1, 2, "paired", False)


def test_console_page_carries_the_markup_for_rooms_and_students_that_come_later(
    client: TestClient, csrf: str, demo: DemoData
) -> None:
    with paired_pair(client) as (_a, _b, room, alice, _bruno):
        page = client.get(f"/facilitate/{demo.session_id}").text
    assert "Reload the page" not in page
    template = re.search(r'<template id="room-template">(.*?)</template>', page, re.S)
    assert template is not None
    # The same controls as a room open at load: slow mode and close, for the room the script fills in.
    for action in ("/rooms/__ROOM__/slow", "/rooms/__ROOM__/close"):
        assert action in template.group(1)
        assert action.replace("__ROOM__", str(room)) in page
    row = re.search(r'<template id="student-template">(.*?)</template>', page, re.S)
    assert row is not None
    for action in ("warn", "mute", "unmute", "remove", "ban", "erase"):
        assert f"/participants/__PID__/{action}" in row.group(1)
        assert f"/participants/{alice}/{action}" in page
    boot = json.loads(re.search(r'id="console-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert {p["name"]: p["status"] for p in boot["stats"]["participants"]} == {"Alice": "paired", "Bruno": "paired"}


def test_console_shows_statuses_and_times_in_the_interface_language(
    client: TestClient, csrf: str, demo: DemoData
) -> None:
    client.cookies.set("bw_lang", "fr")
    with paired_pair(client) as (_a, _b, _room, alice, _bruno):
        client.post(
            f"/facilitate/{demo.session_id}/participants/{alice}/mute",
            data={"csrf_token": csrf, "minutes": "5"},
            headers=JSON,
        )
        page = client.get(f"/facilitate/{demo.session_id}").text
    boot = json.loads(re.search(r'id="console-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert boot["statuses"]["paired"] != "paired"
    assert boot["statuses"]["reconnecting"] != "reconnecting"
    assert boot["t"]["muted_until"] != "muted until %(time)s"
    status = re.search(rf'data-student="{alice}">.*?class="student-status">([^<]*)<', page, re.S)
    assert status is not None
    assert status.group(1).startswith(boot["statuses"]["paired"] + " · ")
    assert re.search(r"\d\d:\d\d$", status.group(1))
    # Session times with Babel's French names ("lun. 5 juil. 2027, 10:00 BST"), never strftime's English.
    head = re.search(r'<p class="help">([^<]*)\(Europe/London\)</p>', page)
    assert head is not None
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", head.group(1))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "This student is not in a room."), ("es", "Este estudiante no está en ninguna sala.")],
    ids=["en", "es"],
)
def test_refused_action_is_explained_in_the_interface_language(
    client: TestClient, csrf: str, demo: DemoData, language: str, expected: str
) -> None:
    """The room lifecycle's refusals (rooms/interventions.py) reach staff pages through the catalogues."""
    client.cookies.set("bw_lang", language)
    waiting = join(client, "RIVER9", "Wanda")["participant"]["id"]
    page = client.post(f"/facilitate/{demo.session_id}/participants/{waiting}/remove", data={"csrf_token": csrf})
    assert page.status_code == 409
    assert expected in page.text


def test_queue_shows_times_in_the_school_zone_and_interface_language(
    client: TestClient, csrf: str, demo: DemoData
) -> None:
    client.cookies.set("bw_lang", "fr")
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, "q1", "is this fine")
        sent = until(a, "ack")
        until(b, "message")
        b.send_text(json.dumps({"type": "report", "message_id": sent["id"], "reason": "other"}))
        until(b, "reported")
        page = client.get(f"/facilitate/{demo.session_id}/queue").text
    shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    assert shown is not None
    # Babel's French date in the facilitator's school zone (Europe/London), never the ISO text in UTC.
    assert shown.group(2).endswith(("GMT", "BST"))
    assert re.search(r"\b(lun|mar|mer|jeu|ven|sam|dim)\.", shown.group(2))


def test_watchers_see_a_repair_empty_the_room_and_the_new_room_open(
    client: TestClient, csrf: str, demo: DemoData
) -> None:
    with paired_pair(client) as (a, b, room, alice, bruno), _watch(client, demo) as w:
        assert w.receive_json()["type"] == "watching"
        response = client.post(f"/facilitate/{demo.session_id}/repair", data={"csrf_token": csrf}, headers=JSON)
        assert response.json()["closed"] == [room]
        seen: dict[int, dict[str, Any]] = {}
        opened: dict[str, Any] | None = None
        for _ in range(60):
            frame = w.receive_json()
            if frame["type"] == "student":
                seen[frame["student"]["id"]] = frame["student"]
            if frame["type"] == "room_opened":
                opened = frame["room"]
                break
        assert {pid: (s["status"], s["room"]) for pid, s in seen.items()} == {
            alice: ("waiting", None),
            bruno: ("waiting", None),
        }
        assert opened is not None
        assert opened["id"] != room
        assert {m["id"] for m in opened["members"]} == {alice, bruno}
        until(a, "paired")
        until(b, "paired")
