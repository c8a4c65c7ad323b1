"""Error frames about a send: always encodable, carrying the send's client_id exactly when it was a valid one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.faults.peers import seed
from tests.faults.rawws import RawSocket
from tests.support.server import Server
from tests.support.students import paired_pair, until

DEEP = {"a": {"b": {"c": {"d": {"e": 1}}}}}


@pytest.mark.parametrize(
    ("frame", "detail"),
    [
        ({"text": DEEP}, "frame nested too deeply"),
        ({"text": "hi", "lang": DEEP}, "frame nested too deeply"),
        ({"text": 42}, "'text' must be a string"),
        ({"text": "hi \ud800 there"}, "'text' is not valid Unicode text"),
        ({"text": "nul \x00 inside"}, "'text' contains a NUL character"),
    ],
    ids=["nested-text", "nested-lang", "text-not-a-string", "surrogate-in-text", "nul-in-text"],
)
def test_send_error_carries_the_valid_client_id(
    client: TestClient, demo: object, frame: dict[str, Any], detail: str
) -> None:
    """Regression (nested): the depth check ran before the socket read the client_id, so it was left out."""
    with paired_pair(client) as (alice, _bruno, _room, _a, _b):
        alice.send_text(json.dumps({"type": "send", "client_id": "c-1", **frame}))
        error = until(alice, "error")
        assert error == {
            "type": "error",
            "code": "bad_frame",
            "message": error["message"],
            "client_id": "c-1",
            "detail": detail,
        }
        alice.send_text(json.dumps({"type": "send", "client_id": "c-2", "text": "still here"}))
        assert until(alice, "ack")["client_id"] == "c-2"


@pytest.mark.parametrize(
    "client_id",
    ["", "x" * 65, "nul\x00", "\ud800", "a\udfffb", 7, None, ["c-1"]],
    ids=["empty", "too-long", "nul", "lone-high-surrogate", "lone-low-surrogate", "number", "null", "list"],
)
def test_send_with_an_invalid_client_id_gets_bad_frame_without_an_echo(
    client: TestClient, demo: object, client_id: object
) -> None:
    with paired_pair(client) as (alice, _bruno, _room, _a, _b):
        alice.send_text(json.dumps({"type": "send", "client_id": client_id, "text": "hi"}))
        error = until(alice, "error")
        assert error["code"] == "bad_frame"
        assert "client_id" not in error
        alice.send_text(json.dumps({"type": "send", "client_id": "ok", "text": "still here"}))
        assert until(alice, "ack")["client_id"] == "ok"


def _text_frames_until_pong(raw: RawSocket) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["type"] != "pong":
        opcode, payload = raw.recv_frame()
        assert opcode == 0x1, (opcode, payload)  # a close (0x8) here is the bug: the socket died without a word
        frames.append(json.loads(payload))
    return frames


def test_lone_surrogate_client_id_is_answered_over_real_uvicorn(tmp_path: Path) -> None:
    """Regression: echoing the surrogate made uvicorn's UTF-8 encoding of the error frame fail, which closed the
    socket silently (the ASGI TestClient does not encode, so only a real server shows it)."""
    seed(tmp_path)
    server = Server(tmp_path).start()
    try:
        raw = RawSocket(server.port)
        raw.send_text(json.dumps({"type": "hello", "v": 1, "token": server.join("RIVER9", "Raw")["token"]}))
        raw.send_text('{"type":"send","client_id":"\\ud800","text":"hi"}')
        raw.send_text('{"type":"ping"}')
        errors = [f for f in _text_frames_until_pong(raw) if f["type"] == "error"]
        assert [(e["code"], "client_id" in e) for e in errors] == [("bad_frame", False)]
        raw.send_text('{"type":"send","client_id":"after","text":"hi"}')  # still served: alone, so not in a room
        raw.send_text('{"type":"ping"}')
        errors = [f for f in _text_frames_until_pong(raw) if f["type"] == "error"]
        assert [(e["code"], e.get("client_id")) for e in errors] == [("not_in_room", "after")]
        raw.close()
    finally:
        server.kill()
