"""The facilitator console end to end: session list, lifecycle, prompts, announcements, pairing, live figures."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.migrate import upgrade
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import (
    ExchangeSession,
    Message,
    MessageKind,
    Participant,
    ParticipantStatus,
    Room,
    RoomStatus,
    SessionStatus,
)
from tests.app.staff_login import login
from tests.conftest import make_settings
from tests.support.db import audit_rows, db
from tests.support.server import Server
from tests.support.students import hello, join, paired_pair, send, until

JSON = {"Accept": "application/json"}


@pytest.fixture
def csrf(client: TestClient, demo: DemoData) -> str:
    return login(client, "facilitator", demo.logins["facilitator"])


def post(client: TestClient, url: str, csrf: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, **data}, headers=JSON)


def test_session_list_shows_live_session_in_school_time(client: TestClient, csrf: str, demo: DemoData) -> None:
    page = client.get("/facilitate")
    assert page.status_code == 200
    assert "Demo exchange: our towns" in page.text
    assert "Europe/London" in page.text
    assert f'href="/facilitate/{demo.session_id}"' in page.text


def test_console_page_shows_rooms_with_escaped_messages(client: TestClient, csrf: str, demo: DemoData) -> None:
    with paired_pair(client) as (a, b, room, _alice, _bruno):
        send(a, "x1", "<b>hi</b> there")
        until(b, "message")
        page = client.get(f"/facilitate/{demo.session_id}")
    assert page.status_code == 200
    assert f'data-room="{room}"' in page.text
    assert "&lt;b&gt;hi&lt;/b&gt; there" in page.text
    assert "<b>hi</b>" not in page.text
    assert 'id="console-data"' in page.text
    assert "/static/js/console.js" in page.text


@pytest.mark.parametrize(
    ("steps", "event", "status"),
    [
        (["pause"], "session_paused", SessionStatus.PAUSED),
        (["pause", "resume"], "session_resumed", SessionStatus.LIVE),
        (["close"], "session_closed", SessionStatus.CLOSED),
    ],
    ids=["pause", "resume", "close"],
)
def test_lifecycle_tells_students_and_audits(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings, steps: list[str], event: str, status: str
) -> None:
    with paired_pair(client) as (a, _b, room, _alice, _bruno):
        for step in steps:
            response = post(client, f"/facilitate/{demo.session_id}/{step}", csrf)
            assert response.status_code == 200, response.text
        got = until(a, "event")
        while got["event"] != event:
            got = until(a, "event")
        again = post(client, f"/facilitate/{demo.session_id}/{steps[-1]}", csrf)
    assert again.status_code == 409
    with db(settings) as session:
        exchange_session = session.get(ExchangeSession, demo.session_id)
        room_row = session.get(Room, room)
    assert exchange_session is not None
    assert exchange_session.status == status
    assert room_row is not None
    assert (room_row.status == RoomStatus.CLOSED) == (status == SessionStatus.CLOSED)
    assert len(audit_rows(settings, f"session_{steps[-1]}")) == 1


def test_open_turns_a_scheduled_session_live(client: TestClient, csrf: str, demo: DemoData, settings: Settings) -> None:
    with db(settings) as session:
        live = session.get(ExchangeSession, demo.session_id)
        assert live is not None
        later = ExchangeSession(
            exchange_id=live.exchange_id,
            title="Later",
            starts_at=utcnow() + timedelta(days=1),
            ends_at=utcnow() + timedelta(days=1, hours=1),
            facilitator_id=live.facilitator_id,
        )
        session.add(later)
        session.commit()
        later_id = later.id
    first = client.post(f"/facilitate/{later_id}/open", data={"csrf_token": csrf}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/facilitate/{later_id}"
    assert post(client, f"/facilitate/{later_id}/open", csrf).status_code == 409
    with db(settings) as session:
        opened = session.get(ExchangeSession, later_id)
    assert opened is not None
    assert opened.status == SessionStatus.LIVE


def test_next_prompt_reaches_every_room_and_history(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings
) -> None:
    with paired_pair(client) as (a, b, room, _alice, _bruno):
        response = post(client, f"/facilitate/{demo.session_id}/prompt/next", csrf)
        assert response.status_code == 200
        message = until(b, "message")
        event = until(a, "event")
    assert message["kind"] == "prompt"
    assert message["text"] == response.json()["prompt"]
    assert event == {"type": "event", "event": "prompt", "text": message["text"]}
    with db(settings) as session:
        row = session.get(Message, message["id"])
        exchange_session = session.get(ExchangeSession, demo.session_id)
    assert row is not None
    assert (row.kind, row.room_id) == (MessageKind.PROMPT, room)
    assert exchange_session is not None
    assert exchange_session.current_prompt == 0


def test_next_prompt_after_the_last_is_a_conflict(client: TestClient, csrf: str, demo: DemoData) -> None:
    base = f"/facilitate/{demo.session_id}"
    assert post(client, f"{base}/prompts", csrf, topic="Food", prompts="One\n\nTwo\n").status_code == 200
    codes = [post(client, f"{base}/prompt/next", csrf).status_code for _ in range(3)]
    assert codes == [200, 200, 409]


def test_announcement_lands_in_every_open_room(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings
) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        response = post(client, f"/facilitate/{demo.session_id}/announce", csrf, text="Five minutes left!")
        got_a, got_b = until(a, "message"), until(b, "message")
    assert response.json()["rooms"] == 1
    assert got_a["kind"] == got_b["kind"] == "announcement"
    assert got_a["text"] == "Five minutes left!"
    assert len(audit_rows(settings, "announce")) == 1


def test_watch_socket_streams_room_messages_to_the_facilitator(client: TestClient, csrf: str, demo: DemoData) -> None:
    with (
        paired_pair(client) as (a, _b, room, _alice, _bruno),
        client.websocket_connect(f"/ws/watch?session={demo.session_id}") as w,
    ):
        assert w.receive_json()["type"] == "watching"
        send(a, "w1", "can you see this")
        seen = until(w, "message")
    assert (seen["text"], seen["room"]) == ("can you see this", room)


def test_stats_show_talk_balance_silence_and_countries(client: TestClient, csrf: str, demo: DemoData) -> None:
    with paired_pair(client) as (a, b, room, _alice, _bruno):
        send(a, "s1", "one two three")
        until(a, "ack")
        send(a, "s2", "four five six seven")
        until(a, "ack")
        until(b, "message")
        stats = client.get(f"/facilitate/{demo.session_id}/stats.json").json()
    (room_stats,) = stats["rooms"]
    by_name = {m["name"]: m for m in room_stats["members"]}
    assert room_stats["id"] == room
    assert (by_name["Alice"]["messages"], by_name["Alice"]["words"], by_name["Alice"]["share"]) == (2, 7, 1.0)
    assert by_name["Bruno"]["silent"] is True
    assert stats["silent"] == ["Bruno"]
    countries = {c["country"]: c for c in stats["countries"]}
    assert (countries["GB"]["words"], countries["ES"]["silent"]) == (7, 1)
    assert countries["GB"]["translated"] == 2  # English messages to a Spanish reader


def test_pair_now_pairs_waiting_students(client: TestClient, csrf: str, demo: DemoData, settings: Settings) -> None:
    join(client, "RIVER9", "Wait1")
    join(client, "CERVA3", "Wait2")
    with db(settings) as session:  # connected students waiting in the lobby, not yet paired automatically
        for participant in session.exec(select(Participant)):
            participant.status = ParticipantStatus.WAITING
            session.add(participant)
        session.commit()
    response = post(client, f"/facilitate/{demo.session_id}/pair", csrf)
    assert response.status_code == 200
    (room_id,) = response.json()["rooms"]
    with db(settings) as session:
        rooms = {p.room_id for p in session.exec(select(Participant))}
    assert rooms == {room_id}
    assert len(audit_rows(settings, "pair_now")) == 1


def test_repair_closes_rooms_and_pairs_everyone_again(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings
) -> None:
    with paired_pair(client) as (a, b, room, _alice, _bruno):
        response = post(client, f"/facilitate/{demo.session_id}/repair", csrf)
        assert until(a, "event")["event"] == "repairing"
        new_room = until(a, "paired")["room"]["id"]
        assert until(b, "paired")["room"]["id"] == new_room
    assert response.json()["closed"] == [room]
    assert new_room != room
    with db(settings) as session:
        old = session.get(Room, room)
    assert old is not None
    assert old.status == RoomStatus.CLOSED


def test_move_puts_a_student_in_another_room_and_repairs_the_partner(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings
) -> None:
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
        rooms = [until(ws, "paired")["room"] for ws in sockets]
        mover, source = ids[0], rooms[0]["id"]
        partner = next(ws for ws, r, pid in zip(sockets, rooms, ids, strict=True) if r["id"] == source and pid != mover)
        target = next(r["id"] for r in rooms if r["id"] != source)
        response = post(client, f"/facilitate/{demo.session_id}/move", csrf, participant_id=mover, room_id=target)
        assert response.status_code == 200, response.text
        assert until(s1, "event")["event"] == "moved_out"
        assert until(s1, "paired")["room"]["id"] == target
        told = until(partner, "event")
        assert (told["event"], told["participant"]) == ("partner_moved", mover)  # said why, before the re-pair
        assert until(partner, "event")["event"] == "repairing"
    with db(settings) as session:
        moved = session.get(Participant, mover)
    assert moved is not None
    assert moved.room_id == target
    assert len(audit_rows(settings, "move")) == 1
    again = post(client, f"/facilitate/{demo.session_id}/move", csrf, participant_id=mover, room_id=target)
    assert again.status_code == 409


BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


@pytest.mark.browser
def test_console_in_a_browser_streams_messages_and_alerts_on_reports(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright
    from websockets.sync.client import connect

    config = make_settings(tmp_path)
    engine = make_engine(config.database_url)
    upgrade(engine)
    data = seed_demo(engine, config)
    engine.dispose()
    server = Server(tmp_path).start()

    def student(code: str, name: str) -> Any:
        ws = connect(server.ws_url, open_timeout=10, legacy=True)
        ws.send(json.dumps({"type": "hello", "v": 1, "token": server.join(code, name)["token"]}))
        return ws

    def wait_for(ws: Any, frame_type: str) -> dict[str, Any]:
        for _ in range(100):
            frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
            if frame["type"] == frame_type:
                return frame
        raise AssertionError(frame_type)

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{server.url}/login")
            page.fill("#username", "facilitator")
            page.fill("#password", data.logins["facilitator"])
            page.click("form[action='/login'] button[type=submit]")
            page.goto(f"{server.url}/facilitate/{data.session_id}")
            expect(page.locator("#console-connection")).to_have_text("Live view connected.")
            alice, bruno = student("RIVER9", "Alice"), student("CERVA3", "Bruno")
            wait_for(alice, "paired")
            wait_for(bruno, "paired")
            alice.send(json.dumps({"type": "send", "client_id": "b1", "text": "<i>hello</i> from Alice"}))
            sent = wait_for(alice, "ack")
            expect(page.locator(".room-card .text", has_text="<i>hello</i> from Alice")).to_be_visible()
            bruno.send(json.dumps({"type": "report", "message_id": sent["id"], "reason": "other"}))
            expect(page.locator("#console-alert")).to_contain_text("reported a message")
            expect(page.locator("#queue-count")).to_have_text("1")
            alice.close()
            bruno.close()
            browser.close()
        assert errors == []
    finally:
        server.kill()
