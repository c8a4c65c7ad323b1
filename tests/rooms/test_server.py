"""Real uvicorn processes on 127.0.0.1: chat, a SIGKILL restart mid-conversation, graceful shutdown, two processes."""

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
from tests.support.server import Server, start_together


class Student:
    """A minimal protocol-v1 client over a real socket, remembering the last message id it saw."""

    def __init__(self, server: Server, token: str) -> None:
        self.token = token
        self.last_id = 0
        self.seen: list[str] = []
        self.ws: ClientConnection = self.connect(server)

    def connect(self, server: Server) -> ClientConnection:
        self.ws = connect(server.ws_url, open_timeout=10, legacy=True)
        self.ws.send(json.dumps({"type": "hello", "v": 1, "token": self.token, "last_id": self.last_id}))
        assert self.recv()["type"] == "welcome"
        return self.ws

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        while frame["type"] == "ping":  # the server's heartbeat: answered, as every client must (protocol §7)
            self.ws.send('{"type":"pong"}')
            frame = json.loads(self.ws.recv(timeout=timeout))
        if frame["type"] == "message":
            if frame["id"] > self.last_id:
                self.last_id = frame["id"]
                self.seen.append(frame["text"])
        return frame

    def until(self, frame_type: str) -> dict[str, Any]:
        for _ in range(100):
            frame = self.recv()
            if frame["type"] == frame_type:
                return frame
        raise AssertionError(f"no {frame_type}")

    def send(self, client_id: str, text: str) -> dict[str, Any]:
        self.ws.send(json.dumps({"type": "send", "client_id": client_id, "text": text}))
        return self.until("ack")

    def drain(self, until_type: str = "resumed") -> None:
        self.until(until_type)


def _seed(data_dir: Path, **settings: str) -> None:
    config = make_settings(data_dir, **settings)
    engine = make_engine(config.database_url)
    upgrade(engine)
    seed_demo(engine, config)
    engine.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    _seed(tmp_path)
    srv = Server(tmp_path, env={"BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "1000"}).start()
    yield srv
    srv.kill()


def _pair(server: Server) -> tuple[Student, Student]:
    alice = Student(server, str(server.join("RIVER9", "Alice")["token"]))
    bruno = Student(server, str(server.join("CERVA3", "Bruno")["token"]))
    alice.until("paired")
    bruno.until("paired")
    return alice, bruno


def test_chat_over_real_uvicorn(server: Server) -> None:
    alice, bruno = _pair(server)
    ack = alice.send("a1", "hello over a real socket")
    assert ack["state"] == "visible"
    assert bruno.until("message")["text"] == "hello over a real socket"


def test_sigkill_restart_loses_no_acknowledged_message(server: Server) -> None:
    alice, bruno = _pair(server)
    acked = []
    for i in range(20):
        ack = alice.send(f"k{i}", f"before crash {i}")
        assert ack["state"] == "visible"
        acked.append(ack["id"])
    server.kill()
    server.start()
    bruno.connect(server)
    bruno.drain()
    alice.connect(server)
    alice.drain()
    assert bruno.seen == [f"before crash {i}" for i in range(20)]
    # A retry of an acknowledged message after the restart is recognised, not stored twice.
    again = alice.send("k19", "before crash 19")
    assert again["id"] == acked[-1]
    after = alice.send("k20", "after restart")
    frame = bruno.until("message")
    assert frame["id"] == after["id"]
    assert frame["text"] == "after restart"
    assert len(set(bruno.seen)) == len(bruno.seen)


def test_sigterm_flushes_and_tells_clients_to_reconnect(server: Server) -> None:
    alice, bruno = _pair(server)
    acked = [alice.send(f"t{i}", f"m{i}")["id"] for i in range(5)]
    assert server.terminate() in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    frames = []
    try:
        while True:
            frames.append(bruno.recv(timeout=5))
    except Exception as exc:  # the server closed the socket
        close = getattr(exc, "rcvd", None)
    assert close is not None
    assert close.code == 1012  # "service restart": clients reconnect
    assert close.reason == "server_shutdown"
    errors = [f for f in frames if f.get("type") == "error"]
    assert [f["code"] for f in errors] == ["server_shutdown"]  # said before the close, as documented
    server.start()
    bruno.last_id = 0
    bruno.seen.clear()
    bruno.connect(server)
    bruno.drain()
    assert len(bruno.seen) == len(acked)


@pytest.mark.postgres
@pytest.mark.redis
def test_two_processes_fan_out_through_redis(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    env = {
        "BRIDGEWAY_DATABASE_URL": postgres_url,
        "BRIDGEWAY_BROKER_URL": redis_url,
        "BRIDGEWAY_MESSAGE_RATE": "1000/second",
    }
    _seed(tmp_path, database_url=postgres_url)
    one, two = start_together(Server(tmp_path, env=env), Server(tmp_path, env=env))
    try:
        alice = Student(one, str(one.join("RIVER9", "Alice")["token"]))
        bruno = Student(two, str(two.join("CERVA3", "Bruno")["token"]))
        room_a, room_b = alice.until("paired")["room"], bruno.until("paired")["room"]
        assert room_a["id"] == room_b["id"]
        alice.send("x1", "from process one")
        assert alice.until("message")["text"] == "from process one"  # the sender's own copy
        assert bruno.until("message")["text"] == "from process one"
        bruno.send("y1", "from process two")
        assert alice.until("message")["text"] == "from process two"
    finally:
        one.kill()
        two.kill()
