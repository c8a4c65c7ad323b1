"""Heartbeats that never arrive: a silent socket (closed lid, lost network, no close frame) is noticed in time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.faults.rawws import RawSocket
from tests.rooms.test_server import _seed
from tests.support.server import Server

INTERVAL, TIMEOUT = 0.5, 1.5


class Answering:
    """A well-behaved client: answers every server ping, as static/js/chat.js does."""

    def __init__(self, server: Server, token: str) -> None:
        self.ws: ClientConnection = connect(server.ws_url, open_timeout=10, legacy=True)
        self.ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))

    def until(self, check: Any, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame: dict[str, Any] = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if frame["type"] == "ping":
                self.ws.send('{"type":"pong"}')
            elif check(frame):
                return frame


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    _seed(tmp_path)
    env = {
        "BRIDGEWAY_HEARTBEAT_INTERVAL_SECONDS": str(INTERVAL),
        "BRIDGEWAY_HEARTBEAT_TIMEOUT_SECONDS": str(TIMEOUT),
        "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "1",
        "BRIDGEWAY_REPAIR_GRACE_SECONDS": "0.5",
    }
    srv = Server(tmp_path, env=env).start()
    yield srv
    srv.kill()


def _silent(server: Server, token: str) -> RawSocket:
    """A client that says hello and then neither reads nor writes, and never closes: a sleeping laptop."""
    raw = RawSocket(server.port)
    raw.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
    return raw


def test_heartbeat_silent_partner_is_noticed_and_the_other_repaired(server: Server) -> None:
    alice = Answering(server, str(server.join("RIVER9", "Alice")["token"]))
    bruno_join = server.join("CERVA3", "Bruno")
    bruno = _silent(server, str(bruno_join["token"]))
    room = alice.until(lambda f: f["type"] == "paired")["room"]["id"]
    went_silent = time.monotonic()
    gone = alice.until(lambda f: f["type"] == "presence" and f["state"] == "reconnecting")
    assert gone["participant"] == bruno_join["participant"]["id"]  # type: ignore[index]
    assert time.monotonic() - went_silent < TIMEOUT + 1.5
    assert bruno.close_code() == 4011
    told = alice.until(lambda f: f["type"] == "event" and f["event"] == "partner_left")
    assert (told["room"], told["name"]) == (room, "Bruno")
    assert alice.until(lambda f: f["type"] == "event")["event"] == "repairing"
    # Alice answers pings all along: she is never closed, and is paired with the next arrival.
    carla = Answering(server, str(server.join("CERVA3", "Carla")["token"]))
    members = alice.until(lambda f: f["type"] == "paired")["room"]["members"]
    assert {m["name"] for m in members} == {"Alice", "Carla"}
    for ws in (alice.ws, carla.ws):
        ws.close()
    bruno.sock.close()


def test_heartbeat_silent_student_in_the_lobby_is_never_paired(server: Server) -> None:
    ghost = _silent(server, str(server.join("RIVER9", "Ghost")["token"]))
    assert ghost.close_code() == 4011  # within the timeout, and no partner was ever offered to the ghost
    bruno = Answering(server, str(server.join("CERVA3", "Bruno")["token"]))
    carla = Answering(server, str(server.join("RIVER9", "Carla")["token"]))
    members = bruno.until(lambda f: f["type"] == "paired")["room"]["members"]
    assert {m["name"] for m in members} == {"Bruno", "Carla"}
    for ws in (bruno.ws, carla.ws):
        ws.close()
    ghost.sock.close()


def test_heartbeat_answering_client_stays_connected(server: Server) -> None:
    alice = Answering(server, str(server.join("RIVER9", "Alice")["token"]))
    alice.until(lambda f: f["type"] == "welcome")
    with pytest.raises(TimeoutError):
        alice.until(lambda f: False, timeout=TIMEOUT * 3)  # pings answered: no close for three timeouts
    alice.ws.send(json.dumps({"type": "ping"}))
    assert alice.until(lambda f: f["type"] == "pong")["type"] == "pong"
    alice.ws.close()
