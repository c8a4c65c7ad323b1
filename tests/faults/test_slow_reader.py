"""Over real uvicorn: a client that stops reading is dropped, an oversized frame is refused; the room goes on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.peers import Peer, seed
from tests.faults.rawws import RawSocket
from tests.support.server import Server

FLOOD_TEXT = "x" * 1500


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    seed(tmp_path)
    srv = Server(
        tmp_path,
        env={
            "BRIDGEWAY_WS_SEND_QUEUE": "16",
            "BRIDGEWAY_MESSAGE_RATE": "100000/second",
            "BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "100000",
            "BRIDGEWAY_MODERATION_HOOKS": '["length"]',
            "BRIDGEWAY_REPAIR_GRACE_SECONDS": "0.3",
            "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "0.3",
        },
    ).start()
    yield srv
    srv.kill()


class Reader(threading.Thread):
    """Keep reading a peer's frames in the background, as a healthy browser tab does."""

    def __init__(self, peer: Peer) -> None:
        super().__init__(daemon=True)
        self.peer = peer
        self.texts: list[str] = []
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                frame = self.peer.recv(timeout=0.5)
            except TimeoutError:
                continue
            except BaseException as exc:
                self.error = exc
                return
            if frame["type"] == "message":
                self.texts.append(frame["text"])


def _flood(sender: Peer, count: int, prefix: str) -> list[dict[str, Any]]:
    """Send ``count`` messages in bursts of 25, reading the acks between bursts; return the acks."""
    acks: list[dict[str, Any]] = []
    for start in range(0, count, 25):
        ids = [f"{prefix}{i}" for i in range(start, min(start + 25, count))]
        for cid in ids:
            sender.ws.send(json.dumps({"type": "send", "client_id": cid, "text": FLOOD_TEXT}))
        pending = set(ids)
        while pending:
            frame = sender.recv()
            if frame["type"] in ("ack", "error") and frame.get("client_id") in pending:
                pending.discard(frame["client_id"])
                acks.append(frame)
    return acks


def test_stalled_reader_is_dropped_and_its_room_keeps_working(server: Server) -> None:
    stalled = RawSocket(server.port, rcvbuf=4096)
    stalled.send_text(json.dumps({"type": "hello", "v": 1, "token": server.join("RIVER9", "Stalled")["token"]}))
    bruno = Peer(server, str(server.join("CERVA3", "Bruno")["token"]))
    bruno.first_of("paired")
    carla = Peer(server, str(server.join("CERVA3", "Carla")["token"]))  # seated as the room's third member
    reader = Reader(carla)
    try:
        assert len(carla.first_of("paired")["room"]["members"]) == 3
        reader.start()
        started = time.monotonic()
        acks = _flood(bruno, 3000, "f")
        flood_seconds = time.monotonic() - started
        assert all(a["type"] == "ack" for a in acks)  # the sender is never slowed down or refused
        code = stalled.close_code()
        assert code in (4009, None)  # slow consumer close, or the TCP connection reset
        # The room is unaffected: the others still chat, and Carla got the whole flood.
        assert bruno.post("after", "still here")["type"] == "ack"
        deadline = time.monotonic() + 20
        while "still here" not in reader.texts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.error is None
        assert reader.texts.count(FLOOD_TEXT) == 3000
        assert reader.texts[-1] == "still here"
        assert flood_seconds < 30, f"flood of 3000 x 1.5 kB took {flood_seconds:.1f} s"
    finally:
        reader.stop.set()
        reader.join(5)
        stalled.close()
        bruno.ws.close()
        carla.ws.close()


def test_oversized_frame_closes_1009_and_others_are_served(server: Server) -> None:
    big = RawSocket(server.port)
    try:
        big.send_text(json.dumps({"type": "hello", "v": 1, "token": server.join("RIVER9", "Big")["token"]}))
        big.send_text(json.dumps({"type": "send", "client_id": "big", "text": "y" * 70_000}))  # > 65536 bytes
        assert big.close_code() == 1009
    finally:
        big.close()
    time.sleep(0.8)  # past the reconnect grace: the closed student has left the lobby
    alice = Peer(server, str(server.join("RIVER9", "Alice")["token"]))
    bruno = Peer(server, str(server.join("CERVA3", "Bruno")["token"]))
    try:
        alice.first_of("paired")
        assert alice.post("ok", "normal size")["type"] == "ack"
        assert bruno.message("normal size")["from"]["name"] == "Alice"
    finally:
        alice.ws.close()
        bruno.ws.close()
