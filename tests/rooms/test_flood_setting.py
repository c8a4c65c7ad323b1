"""BRIDGEWAY_MODERATION_FLOOD_MESSAGES reaches the flood hook of a real server, and the message rate still applies.

A student "flood-limited at a lower count" with the setting at 100 was stopped by BRIDGEWAY_MESSAGE_RATE
(20 per 10 s, error ``rate_limited``, nothing stored), which refuses a send before moderation sees it; the
server now says so in its log at start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from app.db import make_engine
from app.demo import seed_demo
from app.migrate import upgrade
from tests.conftest import make_settings
from tests.support.server import Server


def _serve(tmp_path: Path, env: dict[str, str]) -> Iterator[Server]:
    config = make_settings(tmp_path)
    engine = make_engine(config.database_url)
    upgrade(engine)
    seed_demo(engine, config)
    engine.dispose()
    server = Server(tmp_path, env=env).start()
    try:
        yield server
    finally:
        server.kill()


def _next(ws: ClientConnection, *types: str) -> dict[str, Any]:
    for _ in range(200):
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame["type"] == "ping":
            ws.send('{"type":"pong"}')
        elif frame["type"] in types:
            return frame
    raise AssertionError(f"none of {types}")


def _outcomes(server: Server, count: int) -> list[str]:
    """Alice sends ``count`` different messages as fast as she can; what the server answered to each."""
    alice, bruno = server.join("RIVER9", "Alice"), server.join("CERVA3", "Bruno")
    # close_timeout: Bruno reads none of the messages, so his full frame queue hides the server's close frame;
    # the default 10 s wait for it was most of this test's time.
    with (
        connect(server.ws_url, open_timeout=10, close_timeout=1) as a,
        connect(server.ws_url, open_timeout=10, close_timeout=1) as b,
    ):
        for ws, joined in ((a, alice), (b, bruno)):
            ws.send(json.dumps({"type": "hello", "v": 1, "token": joined["token"]}))
        _next(a, "paired")
        answers = []
        for i in range(count):
            a.send(json.dumps({"type": "send", "client_id": f"m{i}", "text": f"message {i} about my town, number {i}"}))
            frame = _next(a, "ack", "error")
            answers.append(frame.get("code") or frame.get("reason") or frame["state"])
        return answers


@pytest.fixture
def flood_100(tmp_path: Path) -> Iterator[Server]:
    yield from _serve(tmp_path, {"BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "100"})


@pytest.fixture
def defaults(tmp_path: Path) -> Iterator[Server]:
    yield from _serve(tmp_path, {})


def test_flood_setting_lets_a_student_send_more_than_the_default(flood_100: Server) -> None:
    answers = _outcomes(flood_100, 24)
    # Past the default of 8, up to the message rate (20 in 10 s): every message delivered, none blocked as a flood.
    assert answers[:20] == ["visible"] * 20
    # Then the per-student message rate refuses them; the flood hook is not what stops the student.
    assert answers[20:] == ["rate_limited"] * 4
    assert "BRIDGEWAY_MODERATION_FLOOD_MESSAGES=100 in 10 s never blocks" in flood_100.log_text()


def test_default_flood_limit_blocks_the_ninth_message(defaults: Server) -> None:
    answers = _outcomes(defaults, 10)
    assert answers == ["visible"] * 8 + ["flood"] * 2
    assert "never blocks" not in defaults.log_text()
