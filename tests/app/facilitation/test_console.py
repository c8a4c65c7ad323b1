"""The facilitator console end to end: session list, lifecycle, prompts, announcements, pairing, live figures."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
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
    Room,
    RoomStatus,
    SessionStatus,
)
from tests.app.facilitation.steps import post
from tests.conftest import make_settings
from tests.support.db import audit_rows, db
from tests.support.server import Server
from tests.support.students import paired_pair, send, until


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
