"""A student on a bare socket that can vanish mid-conversation: no close frame, the TCP connection reset."""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

from tests.faults.rawws import RawSocket


class AbruptStudent:
    """Speaks protocol v1 over ``RawSocket``; ``vanish()`` resets the connection as a phone losing signal does."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.raw = self._open()

    def _open(self) -> RawSocket:
        raw = RawSocket(self.port)
        raw.send_text(json.dumps({"type": "hello", "v": 1, "token": self.token}))
        self.raw = raw
        first = self.recv()
        assert first["type"] == "welcome", first
        return raw

    def reconnect(self) -> None:
        self._open()

    def close(self) -> None:
        self.raw.close()

    def recv(self) -> dict[str, Any]:
        while True:
            opcode, payload = self.raw.recv_frame()
            if opcode == 0x1:
                frame: dict[str, Any] = json.loads(payload)
                return frame
            if opcode == 0x8:
                raise ConnectionError("closed by the server")

    def until(self, frame_type: str, limit: int = 5000) -> dict[str, Any]:
        for _ in range(limit):
            frame = self.recv()
            if frame["type"] == frame_type:
                return frame
        raise AssertionError(f"no {frame_type}")

    def send(self, client_id: str, text: str) -> None:
        self.raw.send_text(json.dumps({"type": "send", "client_id": client_id, "text": text}))

    def acks(self, client_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Read until every one of ``client_ids`` was answered; return the ack frames by client id."""
        pending, answers = set(client_ids), {}
        while pending:
            frame = self.recv()
            if frame["type"] in ("ack", "error") and frame.get("client_id") in pending:
                pending.discard(frame["client_id"])
                answers[frame["client_id"]] = frame
        return answers

    def vanish(self) -> None:
        """Reset the TCP connection (SO_LINGER 0): the server sees it gone without a WebSocket close."""
        self.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.raw.close()
