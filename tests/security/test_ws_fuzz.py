"""Property-based fuzzing of every student WebSocket frame type: an answer for each, no crash, others still served."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as WS

from app.demo import DemoData
from app.settings import Settings
from rooms.protocol import ERROR_MESSAGES
from tests.conftest import make_settings
from tests.faults.peers import seed
from tests.faults.rawws import RawSocket
from tests.support.server import Server
from tests.support.students import hello, join, send, until

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u202e\u2066"
nasty_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=40),
    st.text(alphabet=st.characters(categories=["Cs", "Ll"]), max_size=10),  # lone surrogates, as JSON escapes
    st.text(alphabet=st.sampled_from(ZERO_WIDTH + "a <>&\"'\\\n\t\x00"), max_size=40),
    st.sampled_from(["", " ", "x" * 2001, "x" * 70_000, "<script>window.__pwned=1</script>", "\x00" * 10]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), nasty_text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text, inner, max_size=3), max_leaves=25
)
loose = st.one_of(scalars, json_values)
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "hello": {"v": st.one_of(st.just(1), loose), "token": loose, "last_id": loose},
    "send": {"client_id": st.one_of(nasty_text, loose), "text": st.one_of(nasty_text, loose), "lang": loose},
    "typing": {"room": loose},
    "resume": {"last_id": st.one_of(st.integers(-5, 2**60), loose)},
    "report": {
        "message_id": st.one_of(st.integers(-5, 10**6), loose),
        "reason": st.one_of(st.sampled_from(["spam", "other", "bullying"]), loose),
        "note": st.one_of(nasty_text, loose),
    },
    "ping": {"extra": loose},
}


def _frame(kind: str) -> st.SearchStrategy[str]:
    if kind == "unknown":
        return st.builds(lambda t, extra: json.dumps({"type": t, **extra}), nasty_text, st.dictionaries(
            nasty_text, loose, max_size=3))  # fmt: skip
    if kind == "raw":
        depth = st.integers(1, 5000)
        return st.one_of(
            st.text(max_size=200),
            depth.map(lambda n: "[" * n + "]" * n),
            depth.map(lambda n: '{"type":"send","text":' + '{"a":' * n + "1" + "}" * n + "}"),
            json_values.map(json.dumps),
        )
    optional = FIELDS[kind]
    return st.fixed_dictionaries({"type": st.just(kind)}, optional=optional).map(json.dumps)


KINDS = [*FIELDS, "unknown", "raw"]
FUZZ = hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, message_rate="100000/second", moderation_flood_messages=100000)


class Fuzzed:
    """Alice's socket under fuzzing; reopened (hello with last_id) before the bad-frame limit closes it."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token, self.last_id, self.sent = client, token, 0, 0
        self.ws: WS | None = None
        self.reopen()

    def reopen(self) -> None:
        self.close()
        self.ws = self.client.websocket_connect("/ws").__enter__()
        if hello(self.ws, self.token, self.last_id)["room"] is not None:
            self.answers(until_type="resumed")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.__exit__(None, None, None)
            self.ws = None

    def answers(self, until_type: str = "pong") -> list[dict[str, Any]]:
        assert self.ws is not None
        frames: list[dict[str, Any]] = []
        for _ in range(500):
            frame = self.ws.receive_json()
            assert isinstance(frame, dict), frame
            assert isinstance(frame.get("type"), str), frame
            if frame["type"] == "error":
                assert frame["code"] in ERROR_MESSAGES, frame
            if frame["type"] == "message":
                self.last_id = max(self.last_id, frame["id"])
            frames.append(frame)
            if frame["type"] == until_type:
                return frames
        raise AssertionError(f"no {until_type}")

    def probe(self, send_raw: Any) -> list[dict[str, Any]]:
        """Send one fuzzed frame, then a ping: everything up to the pong is the server's answer."""
        if self.sent and self.sent % 15 == 0:
            self.reopen()
        self.sent += 1
        assert self.ws is not None
        send_raw(self.ws)
        self.ws.send_text('{"type":"ping"}')
        return self.answers()


@pytest.fixture
def fuzzed(client: TestClient, demo: DemoData) -> Iterator[Fuzzed]:
    """Alice (fuzzed) paired with Bruno; Bruno's socket stays open so the room is real."""
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as b:
        hello(b, bruno["token"])
        target = Fuzzed(client, alice["token"])
        assert target.ws is not None
        until(target.ws, "paired")
        until(b, "paired")
        yield target
        target.close()


def _second_pair_chats(client: TestClient) -> None:
    carla, dan = join(client, "RIVER9", "Carla"), join(client, "CERVA3", "Dan")
    with client.websocket_connect("/ws") as c, client.websocket_connect("/ws") as d:
        hello(c, carla["token"])
        hello(d, dan["token"])
        until(c, "paired")
        until(d, "paired")
        send(c, "ok-1", "still serving")
        assert until(c, "ack")["client_id"] == "ok-1"
        assert until(d, "message")["text"] == "still serving"


@pytest.mark.parametrize("kind", KINDS)
def test_fuzzed_frame_gets_an_answer_and_the_server_keeps_serving(
    client: TestClient, fuzzed: Fuzzed, kind: str
) -> None:
    @FUZZ
    @given(raw=_frame(kind))
    def fuzz(raw: str) -> None:
        frames = fuzzed.probe(lambda ws: ws.send_text(raw))
        assert frames[-1] == {"type": "pong"}

    fuzz()
    _second_pair_chats(client)


def test_binary_frames_are_refused_with_an_error_frame(client: TestClient, fuzzed: Fuzzed) -> None:
    @FUZZ
    @given(data=st.binary(max_size=300))
    def fuzz(data: bytes) -> None:
        frames = fuzzed.probe(lambda ws: ws.send_bytes(data))
        assert [f["code"] for f in frames if f["type"] == "error"] == ["bad_frame"]

    fuzz()
    _second_pair_chats(client)


def test_invalid_utf8_text_frame_closes_1007_over_real_uvicorn(tmp_path: Path) -> None:
    seed(tmp_path)
    server = Server(tmp_path).start()
    try:
        raw = RawSocket(server.port)
        raw.send_text(json.dumps({"type": "hello", "v": 1, "token": server.join("RIVER9", "Raw")["token"]}))
        raw.send_frame(b'{"type":"send","client_id":"u","text":"\xff\xfe\xc3"}')
        assert raw.close_code() == 1007  # invalid frame payload data (RFC 6455)
        raw.close()
        assert server.process is not None
        assert server.process.poll() is None

        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
    finally:
        server.kill()


@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"send","client_id":"s1","text":"hi \\ud800 there"}',
        '{"type":"send","client_id":"\\udc00","text":"hi"}',
    ],
    ids=["surrogate-in-text", "surrogate-in-client-id"],
)
def test_lone_surrogate_escape_is_a_bad_frame(fuzzed: Fuzzed, frame: str) -> None:
    """Regression: in a text the write failed and the client was told 'unavailable, will be retried' forever;
    in a client_id, echoing the error frame raised UnicodeEncodeError in the socket writer."""
    frames = fuzzed.probe(lambda ws: ws.send_text(frame))
    assert [f["code"] for f in frames if f["type"] == "error"] == ["bad_frame"]
