"""The first frame of a socket: each malformed hello gets the error code and close code docs/protocol.md §2 lists."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.support.students import hello, join

CASES = [
    pytest.param("text", "not json", "bad_json", 4001, id="not-json"),
    pytest.param("text", "[1, 2]", "bad_frame", 4001, id="not-an-object"),
    pytest.param("text", '{"type": "hello", "v": 1}', "bad_frame", 4001, id="no-token"),
    pytest.param("text", '{"type": "hello", "token": 5}', "bad_frame", 4001, id="token-not-a-string"),
    pytest.param("text", '{"type": "hello", "token": "x", "last_seq": -1}', "bad_frame", 4001, id="negative-last-seq"),
    pytest.param(
        "text", '{"type": "send", "client_id": "a", "text": "hi"}', "not_authenticated", 4001, id="other-type"
    ),
    pytest.param("bytes", b"\x00binary", "not_authenticated", 4001, id="binary"),
    pytest.param("text", '{"type": "hello", "v": 2, "token": "x"}', "unsupported_version", 4008, id="version-2"),
    pytest.param("text", '{"type": "hello", "v": 1, "token": "forged"}', "token_invalid", 4001, id="forged-token"),
]


@pytest.mark.parametrize(("kind", "payload", "code", "close"), CASES)
def test_first_frame_malformed_gets_its_documented_code(
    client: TestClient, demo: object, kind: str, payload: str | bytes, code: str, close: int
) -> None:
    with client.websocket_connect("/ws") as ws:
        if kind == "bytes":
            assert isinstance(payload, bytes)
            ws.send_bytes(payload)
        else:
            assert isinstance(payload, str)
            ws.send_text(payload)
        assert ws.receive_json()["code"] == code
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (close, code)


def test_first_frame_hello_without_v_means_version_1(client: TestClient, demo: object) -> None:
    token = join(client, "RIVER9", "Alice")["token"]
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "token": token}))
        assert ws.receive_json()["type"] == "welcome"


def test_second_hello_is_a_bad_frame_and_the_socket_stays(client: TestClient, demo: object) -> None:
    token = join(client, "RIVER9", "Alice")["token"]
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
        error = ws.receive_json()
        assert (error["code"], error["detail"]) == ("bad_frame", "already authenticated")
        ws.send_text('{"type": "ping"}')
        assert ws.receive_json()["type"] == "pong"
