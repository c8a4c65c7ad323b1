"""A protocol-v1 student over a real socket that keeps its room position and checks every message against it."""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import ClientConnection, connect


class Reader:
    """Connects with ``hello`` (resuming from ``last_seq``), records every message frame, answers pings."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.ws_url, self.token = ws_url, token
        self.last_seq = 0
        self.messages: list[dict[str, Any]] = []  # every message frame received, in arrival order
        self.ws: ClientConnection | None = None

    def connect(self, last_seq: int | None = None) -> dict[str, Any]:
        # close_timeout: a socket whose frames the test left unread (its 16-frame queue full) cannot read the
        # server's close frame; waiting the default 10 s for it only slowed teardown down.
        self.ws = connect(self.ws_url, open_timeout=10, close_timeout=1, max_size=2**22, legacy=True)
        hello: dict[str, Any] = {"type": "hello", "v": 1, "token": self.token}
        hello["last_seq"] = self.last_seq if last_seq is None else last_seq
        self.ws.send(json.dumps(hello))
        welcome = self.recv()
        assert welcome["type"] == "welcome", welcome
        return welcome

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
            if frame["type"] == "ping":
                self.ws.send('{"type":"pong"}')
                continue
            if frame["type"] == "message":
                self.messages.append(frame)
                self.last_seq = max(self.last_seq, frame["seq"])
            return frame

    def until(self, frame_type: str, limit: int = 100_000, timeout: float = 10) -> dict[str, Any]:
        for _ in range(limit):
            frame = self.recv(timeout)
            if frame["type"] == frame_type:
                return frame
        raise AssertionError(f"no {frame_type}")

    def until_text(self, text: str, timeout: float = 10) -> None:
        while not any(m["text"] == text for m in self.messages):
            self.recv(timeout)

    def send(self, client_id: str, text: str) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps({"type": "send", "client_id": client_id, "text": text}))

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
