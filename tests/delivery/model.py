"""A client that follows docs/protocol.md "Delivery" to the letter, over a bare socket that can vanish at once."""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

from tests.faults.rawws import RawSocket


class ModelClient:
    """Keeps what a client author is told to keep: its room position, and the sends it has no ack for.

    Every message frame read is recorded in ``received`` (positions in arrival order, across all its sockets), so
    a test can check that the stream is gapless, in order and without repeats.
    """

    def __init__(self, port: int, token: str, name: str) -> None:
        self.port, self.token, self.name = port, token, name
        self.raw: RawSocket | None = None
        self.last_seq = 0
        self.received: list[int] = []
        self.unacked: list[str] = []
        self.acked: dict[str, int] = {}  # client id -> position
        self._next = 0
        self.resumes = 0

    @property
    def connected(self) -> bool:
        return self.raw is not None

    def connect(self, port: int | None = None) -> None:
        self.port = port or self.port
        self.raw = RawSocket(self.port)
        self._write({"type": "hello", "v": 1, "token": self.token, "last_seq": self.last_seq})
        self.until(lambda f: f.get("type") == "welcome", what="welcome")
        for cid in list(self.unacked):  # the client retries every send it has no ack for
            self._write({"type": "send", "client_id": cid, "text": cid})
        self.wait_acks()

    def vanish(self) -> None:
        if self.raw is not None:
            self.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.raw.close()
            self.raw = None

    def send(self, wait: bool = True) -> str:
        self._next += 1
        cid = f"{self.name}-{self._next}"
        self.unacked.append(cid)
        self._write({"type": "send", "client_id": cid, "text": cid})
        if wait:
            self.wait_acks()
        return cid

    def resume(self) -> None:
        self.resumes += 1
        self._write({"type": "resume", "last_seq": self.last_seq})
        self.until(lambda f: f.get("type") == "resumed", what="resumed")

    def wait_acks(self) -> None:
        self.until(lambda f: not self.unacked, what="acks")

    def until(self, done: Any, seconds: float = 20, what: str = "") -> dict[str, Any]:
        frame: dict[str, Any] = {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if done(frame):
                return frame
            frame = self._read()
        raise AssertionError(f"{self.name}: {what or 'condition'} not met in {seconds} s (unacked {self.unacked})")

    def _write(self, frame: dict[str, Any]) -> None:
        assert self.raw is not None
        self.raw.send_text(json.dumps(frame))

    def _read(self) -> dict[str, Any]:
        assert self.raw is not None
        while True:
            opcode, payload = self.raw.recv_frame()
            if opcode == 0x8:
                raise ConnectionError(f"{self.name}: closed {payload[:2].hex()} {payload[2:]!r}")
            if opcode == 0x9:  # the WebSocket layer's keepalive ping
                self.raw.send_frame(payload, opcode=0xA)
            if opcode == 0x1:
                break
        frame: dict[str, Any] = json.loads(payload)
        kind = frame["type"]
        if kind == "ping":
            self._write({"type": "pong"})
        elif kind == "message":
            self.received.append(frame["seq"])
            self.last_seq = max(self.last_seq, frame["seq"])
        elif kind == "ack":
            if frame["client_id"] in self.unacked:
                self.unacked.remove(frame["client_id"])
            self.acked[frame["client_id"]] = frame["seq"]
        elif kind == "error":
            raise AssertionError(f"{self.name}: {frame}")
        return frame
