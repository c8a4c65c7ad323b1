"""Students paired across countries chatting over real WebSockets through the ASGI app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient, WebSocketTestSession

from app.db import make_engine
from app.demo import DemoData
from app.main import create_app
from app.settings import Settings
from rooms.models import ExchangeSession, Message, ModerationState
from tests.support.students import hello, join, paired_pair, send, until


def test_two_students_from_different_countries_are_paired_and_chat(client: TestClient, demo: object) -> None:
    alice = join(client, "RIVER9", "Alice")
    bruno = join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        assert hello(a, alice["token"])["status"] == "waiting"
        hello(b, bruno["token"])
        paired_a, paired_b = until(a, "paired"), until(b, "paired")
        assert paired_a["room"]["id"] == paired_b["room"]["id"]
        assert {m["country"] for m in paired_a["room"]["members"]} == {"GB", "ES"}
        assert all(set(m) == {"id", "name", "country", "languages"} for m in paired_a["room"]["members"])

        send(a, "c-1", "Hello from London!")
        ack = until(a, "ack")
        assert ack["client_id"] == "c-1"
        assert ack["state"] == "visible"
        assert isinstance(ack["id"], int)
        got = until(b, "message")
        assert got["text"] == "Hello from London!"
        assert got["from"]["name"] == "Alice"
        assert got["id"] == ack["id"]

        echo = until(a, "message")  # senders get their own message too, after its ack
        assert echo["id"] == ack["id"]
        assert "client_id" not in echo  # only the ack carries it: frames in the room never relay a client_id
        send(b, "c-1", "Hola desde Madrid")
        reply = until(a, "message")
        assert reply["text"] == "Hola desde Madrid"
        assert reply["from"]["country"] == "ES"


@pytest.fixture
def trio_client(settings: Settings) -> Iterator[TestClient]:
    """An app whose cross-country wait is as short as the odd student's hold (1 s).

    Arrivals are paired together when they come within 0.2 s. On a busy machine A2's hello can miss A1 and B1's
    pass; alone in the next one A2 then waits the cross-country wait for a partner, by which time these test sockets
    (they answer no pings) are stale and would never be seated. Either way A2 must end up in the room of three.
    """
    with TestClient(create_app(settings.model_copy(update={"cross_country_wait_seconds": 1.0}))) as test_client:
        yield test_client


@contextmanager
def _three_say_hello(client: TestClient) -> Iterator[tuple[WebSocketTestSession, ...]]:
    """A1 (GB), B1 (ES) and A2 (GB) join and say hello, in that order."""
    tokens = [
        join(client, code, name)["token"] for code, name in [("RIVER9", "A1"), ("CERVA3", "B1"), ("RIVER9", "A2")]
    ]
    with (
        client.websocket_connect("/ws") as s1,
        client.websocket_connect("/ws") as s2,
        client.websocket_connect("/ws") as s3,
    ):
        for ws, token in zip((s1, s2, s3), tokens, strict=True):
            hello(ws, token)
        yield s1, s2, s3


def test_three_students_form_one_room_of_three_not_a_lone_student(trio_client: TestClient, demo: object) -> None:
    with _three_say_hello(trio_client) as (s1, s2, s3):
        # A2 is kept out of the first pass for up to a second, for a partner who might still come; nobody comes,
        # so A2 joins A1 and B1 (docs/protocol.md, "Pairing"): each socket's last `paired` shows the room of three.
        pair = until(s1, "paired")["room"]
        assert {m["name"] for m in pair["members"]} == {"A1", "B1"}
        assert until(s2, "paired")["room"] == pair
        trio = until(s3, "paired")["room"]
        assert trio["id"] == pair["id"]
        assert {m["name"] for m in trio["members"]} == {"A1", "B1", "A2"}
        assert until(s1, "paired")["room"] == trio
        assert until(s2, "paired")["room"] == trio
        send(s3, "x", "hi all")
        assert until(s1, "message")["text"] == "hi all"
        assert until(s2, "message")["text"] == "hi all"


def test_a_third_seated_in_a_room_that_talked_starts_after_its_conversation(
    trio_client: TestClient, demo: object
) -> None:
    """A newcomer's feed starts at the room's position when they were seated, not at 0: what the two said before is
    not replayed to them (it was, once ``paired`` carried 0 for every room)."""
    with _three_say_hello(trio_client) as (s1, _s2, s3):
        assert until(s1, "paired")["room"]["seq"] == 0  # a new room
        send(s1, "b", "before A2 came")  # A2 is still kept out of the pass (up to a second)
        assert until(s1, "ack")["seq"] == 1
        trio = until(s3, "paired")["room"]
        assert {m["name"] for m in trio["members"]} == {"A1", "B1", "A2"}
        assert trio["seq"] == 1
        send(s1, "a", "after A2 came")
        first = until(s3, "message")
        assert (first["text"], first["seq"]) == ("after A2 came", 2)


def test_message_is_persisted_before_ack(client: TestClient, demo: object, settings: Settings) -> None:
    with paired_pair(client) as (a, _b, _room, _alice, _bruno):
        send(a, "persist-1", "stored first")
        ack = until(a, "ack")
        engine = make_engine(settings.database_url)
        with Session(engine) as db:
            row = db.get(Message, ack["id"])
        engine.dispose()
        assert row is not None
        assert row.text == "stored first"
        assert row.client_msg_id == "persist-1"


def test_retry_with_same_client_id_is_acked_once_and_stored_once(
    client: TestClient, demo: object, settings: Settings
) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, "same", "only once")
        first = until(a, "ack")
        send(a, "same", "only once")
        second = until(a, "ack")
        assert first["id"] == second["id"]
        send(a, "next", "after")
        until(a, "ack")
        texts = [until(b, "message")["text"], until(b, "message")["text"]]
        assert texts == ["only once", "after"]
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        rows = db.exec(select(Message).where(Message.client_msg_id == "same")).all()
    engine.dispose()
    assert len(rows) == 1


def test_resume_after_drop_sends_missed_messages_in_order_without_duplicates(client: TestClient, demo: object) -> None:
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as b:
        hello(b, bruno["token"])
        with client.websocket_connect("/ws") as a:
            hello(a, alice["token"])
            until(a, "paired")
            until(b, "paired")
            send(b, "m1", "one")
            seen = until(a, "message")
        # Alice dropped; Bruno keeps writing.
        for i, text in enumerate(["two", "three", "four"], start=2):
            send(b, f"m{i}", text)
            until(b, "ack")
        with client.websocket_connect("/ws") as a2:
            welcome = hello(a2, alice["token"], last_id=seen["id"])
            assert welcome["status"] == "paired"
            missed = []
            while True:
                frame = a2.receive_json()
                if frame["type"] == "resumed":
                    break
                if frame["type"] == "message":
                    missed.append(frame["text"])
            assert missed == ["two", "three", "four"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1,2,3]", "bad_frame"),
        ('{"type": 5}', "bad_frame"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "send", "text": "no id"}', "bad_frame"),
        ('{"type": "send", "client_id": 7, "text": "x"}', "bad_frame"),
        ('{"type": "send", "client_id": "' + "x" * 65 + '", "text": "x"}', "bad_frame"),
        ('{"type": "resume", "last_id": -1}', "bad_frame"),
        ('{"type": "report", "message_id": 999999, "reason": "spam"}', "unknown_message"),
        ('{"type": "report", "message_id": 1, "reason": "because"}', "bad_frame"),
        ('{"type": "send", "client_id": "d", "text": "x", "a": {"b": {"c": {"d": {"e": 1}}}}}', "bad_frame"),
    ],
    ids=[
        "not-json",
        "array",
        "type-not-string",
        "unknown-type",
        "missing-client-id",
        "client-id-not-string",
        "client-id-too-long",
        "negative-last-id",
        "report-unknown-message",
        "report-bad-reason",
        "too-deep",
    ],
)
def test_bad_frames_get_error_and_room_keeps_working(client: TestClient, demo: object, raw: str, code: str) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        a.send_text(raw)
        error = until(a, "error")
        assert error["code"] == code
        assert error["message"]
        send(a, "ok", "still here")
        assert until(b, "message")["text"] == "still here"


def test_binary_frame_is_rejected_with_error(client: TestClient, demo: object) -> None:
    with paired_pair(client) as (a, _b, _room, _alice, _bruno):
        a.send_bytes(b"\xff\xfe\x00binary")
        assert until(a, "error")["code"] == "bad_frame"


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ('{"type": "send", "client_id": "a", "text": "hi"}', "not_authenticated"),
        ('{"type": "hello", "token": "forged.token.value"}', "token_invalid"),
        ('{"type": "hello", "v": 2, "token": "x"}', "unsupported_version"),
        ("garbage", "bad_json"),
    ],
    ids=["frame-before-hello", "forged-token", "wrong-version", "garbage"],
)
def test_unauthenticated_sockets_are_refused_with_reason(
    client: TestClient, demo: object, first: str, code: str
) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_text(first)
        frame = ws.receive_json()
        assert frame == {"type": "error", "code": code, "message": frame["message"]}
        message = ws.receive()
        assert message["type"] == "websocket.close"
        assert message["code"] in (4001, 4008)


def test_token_signed_with_another_key_is_rejected(client: TestClient, demo: object) -> None:
    from app.security import ParticipantTokens

    forged = ParticipantTokens("some-other-secret").issue(1, 1, "00000000")
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "token": forged}))
        assert ws.receive_json()["code"] == "token_invalid"


def test_over_long_message_and_flood_get_clear_errors(client: TestClient, demo: object, settings: Settings) -> None:
    with paired_pair(client) as (a, _b, _room, _alice, _bruno):
        send(a, "long", "x" * (settings.max_message_chars + 1))
        error = until(a, "error")
        assert error["code"] == "too_long"
        assert error["client_id"] == "long"
        codes = []
        for i in range(25):
            send(a, f"f{i}", f"message number {i} about my town")
            frame = a.receive_json()
            while frame["type"] not in ("ack", "error"):
                frame = a.receive_json()
            codes.append(frame.get("code") or frame.get("state"))
        assert "rate_limited" in codes or "flood" in str(codes)


def test_moderated_contact_details_are_not_delivered(client: TestClient, demo: object, settings: Settings) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, "phone", "text me on +44 7700 900123")
        ack = until(a, "ack")
        assert ack["state"] == "blocked"
        assert ack["reason"]
        assert ack["notice"]
        send(a, "fine", "I am 14 and live in room 204")
        assert until(b, "message")["text"] == "I am 14 and live in room 204"
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        row = db.get(Message, ack["id"])
    engine.dispose()
    assert row is not None
    assert row.state == ModerationState.BLOCKED


def test_session_overrides_apply_its_link_allowlist(client: TestClient, demo: DemoData, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        live = db.get(ExchangeSession, demo.session_id)
        assert live is not None
        live.moderation = {"link_allowlist": ["wikipedia.org"]}
        db.add(live)
        db.commit()
    engine.dispose()
    with paired_pair(client) as (a, _b, _room, _alice, _bruno):
        send(a, "ok-link", "read https://en.wikipedia.org/wiki/Madrid")
        assert until(a, "ack")["state"] == "visible"
        send(a, "bad-link", "join me at https://chat.example.com/room")
        ack = until(a, "ack")
        assert ack["state"] == "blocked"
        assert ack["reason"] == "link"
