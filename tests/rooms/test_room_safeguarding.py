"""Safeguarding through the real WebSocket path: disclosure alerts, frame limits, what is relayed to the partner."""

from __future__ import annotations

import logging
import time

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.settings import Settings
from rooms.frame_limits import FRAME_RATES
from rooms.models import Report
from rooms.moderation import MessageContext, ModerationConfig, Moderator, create_plugin_manager
from tests.support.db import db
from tests.support.staff_login import login
from tests.support.students import hello, join, paired_pair, send, until

pytestmark = pytest.mark.usefixtures("demo")


def _reports(settings: Settings) -> list[Report]:
    with db(settings) as session:
        return list(session.exec(select(Report)))


def test_disclosure_is_delivered_and_alerts_the_watcher_and_safeguarding(
    client: TestClient, demo: DemoData, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    login(client, "facilitator", demo.logins["facilitator"])
    with (
        paired_pair(client) as (a, b, room, alice, _bruno),
        client.websocket_connect(f"/ws/watch?session={demo.session_id}") as watch,
        caplog.at_level(logging.WARNING, logger="bridgeway.safeguarding"),
    ):
        send(a, "d1", "my stepdad hits me when mum is out")
        ack = until(a, "ack")
        shown = until(b, "message")
        alert = until(watch, "report")
        client.get(f"/facilitate/{demo.session_id}/queue.json")  # reading the queue must not alert twice
    assert ack["state"] == "visible"  # never blocked: telling must work
    assert shown["text"] == "my stepdad hits me when mum is out"
    assert alert["report"]["message_id"] == shown["id"]
    assert alert["report"]["reason"].startswith("disclosure_")
    assert alert["report"]["room"] == room
    (report,) = _reports(settings)
    assert (report.message_id, report.reporter_id, report.reason) == (shown["id"], alice, alert["report"]["reason"])
    logged = [r for r in caplog.records if r.name == "bridgeway.safeguarding"]
    assert len(logged) == 1
    assert "hits me" not in logged[0].getMessage()  # the alert names the reason, not the child's words


@pytest.mark.parametrize(
    "text",
    ["my brother hurt his knee at football", "this homework will kill me", "the goalkeeper got hit by the ball"],
    ids=["someone-else-hurt", "figure-of-speech", "sport"],
)
def test_ordinary_chat_raises_no_alert(client: TestClient, settings: Settings, text: str) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, "o1", text)
        assert until(a, "ack")["state"] == "visible"
        until(b, "message")
    assert _reports(settings) == []


def test_client_id_is_returned_to_its_sender_only(client: TestClient) -> None:
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        until(a, "paired")
        until(b, "paired")
        send(a, "cid-for-alice-only", "hola Bruno")
        ack = until(a, "ack")
        echo = until(a, "message")
        seen = until(b, "message")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:  # both reload the page
        hello(a, alice["token"], last_id=0)
        caught_up = until(a, "message")
        hello(b, bruno["token"], last_id=0)
        partner_caught_up = until(b, "message")
    assert ack["client_id"] == "cid-for-alice-only"
    assert "client_id" not in seen
    assert "client_id" not in partner_caught_up
    assert "client_id" not in echo  # the ack, sent first, already told the sender which message it was
    assert caught_up["client_id"] == "cid-for-alice-only"  # a reload matches its pending copy by it
    assert seen["id"] == caught_up["id"] == partner_caught_up["id"]


def test_addressing_a_room_mate_by_name_is_not_a_handle(client: TestClient) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, "n1", "@Bruno what is your favourite football team?")
        assert until(a, "ack")["state"] == "visible"
        send(a, "n2", "add me @alice_smith07")
        assert until(a, "ack")["state"] == "blocked"  # a handle that names no one in the room still is one
        until(b, "message")


def test_reports_are_limited_and_deduplicated_per_message(client: TestClient, settings: Settings) -> None:
    limit = int(FRAME_RATES["report"].split("/")[0])
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        ids = []
        for n in range(limit + 1):
            send(a, f"m{n}", f"message number {n}")
            ids.append(until(b, "message")["id"])
        b.send_json({"type": "report", "message_id": ids[0], "reason": "spam"})
        b.send_json({"type": "report", "message_id": ids[0], "reason": "spam"})  # the same again: no new alert
        answers = [until(b, "reported"), until(b, "reported")]
        for message_id in ids[1 : limit - 1]:
            b.send_json({"type": "report", "message_id": message_id, "reason": "spam"})
            answers.append(until(b, "reported"))
        b.send_json({"type": "report", "message_id": ids[limit], "reason": "spam"})
        refused = until(b, "error")
    assert len(answers) == limit
    assert (refused["code"], refused["frame"]) == ("rate_limited", "report")
    assert 0 < refused["retry_after"] <= 60
    stored = _reports(settings)
    assert sorted(r.message_id for r in stored) == ids[: limit - 1]  # one row for the report sent twice


def test_resume_frames_are_limited(client: TestClient) -> None:
    limit = int(FRAME_RATES["resume"].split("/")[0])
    with paired_pair(client) as (a, _b, _room, _alice, _bruno):
        for _ in range(limit):
            a.send_json({"type": "resume", "last_id": 0})
            until(a, "resumed")
        a.send_json({"type": "resume", "last_id": 0})
        refused = until(a, "error")
    assert (refused["code"], refused["frame"]) == ("rate_limited", "resume")


def test_a_ping_flood_gets_a_bounded_number_of_pongs(client: TestClient) -> None:
    limit = int(FRAME_RATES["ping"].split("/")[0])
    with paired_pair(client) as (a, _b, _room, _alice, _bruno):
        for _ in range(limit * 3):
            a.send_json({"type": "ping"})
        a.send_json({"type": "resume", "last_id": 0})  # answered after every pong that was going to be sent
        pongs = 0
        while True:
            frame = a.receive_json()
            if frame["type"] == "resumed":
                break
            pongs += frame["type"] == "pong"
    assert pongs == limit


async def test_moderator_forgets_a_participants_split_contact_pieces() -> None:
    moderator = Moderator(ModerationConfig(), create_plugin_manager(load_entrypoints=False))

    def said(text: str, participant: int) -> MessageContext:
        return MessageContext(text, "en", participant, 1, 1, time.time())

    for piece in ("0770", "09"):
        assert (await moderator.moderate(said(piece, 7))).action.value == "allow"
    completed = await moderator.moderate(said("00414", 7))
    assert (completed.action.value, completed.reason) == ("hold", "contact_phone")  # the piece that completes it
    for piece in ("0770", "09"):
        await moderator.moderate(said(piece, 8))
    moderator.forget_participant(8)
    assert (await moderator.moderate(said("00414", 8))).action.value == "allow"  # nothing left to complete
