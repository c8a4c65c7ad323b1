"""Students on real sockets (no browser of their own) for browser tests that watch the facilitator console."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.browser.conftest import Site

Frame = dict[str, Any]


class SocketStudent:
    """Joins with a class code and speaks protocol v1; a thread reads every frame and answers the server's pings,
    so the student stays connected however long the test spends in the browser."""

    def __init__(self, site: Site, code: str, name: str) -> None:
        joined = site.server.join(code, name)
        self.id = int(joined["participant"]["id"])  # type: ignore[index]
        self.ws = connect(site.server.ws_url, open_timeout=10, legacy=True)
        self.ws.send(json.dumps({"type": "hello", "v": 1, "token": joined["token"]}))
        self.frames: queue.Queue[Frame] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                frame: Frame = json.loads(raw)
                if frame["type"] == "ping":
                    self.ws.send('{"type":"pong"}')
                else:
                    self.frames.put(frame)
        except ConnectionClosed:
            pass

    def until(self, wanted: Callable[[Frame], bool], timeout: float = 15) -> Frame:
        """The first frame (from now on, in order) ``wanted`` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("the frame never came")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                continue
            if wanted(frame):
                return frame

    def event(self, name: str) -> Frame:
        return self.until(lambda f: f["type"] == "event" and f.get("event") == name)

    def paired(self) -> int:
        return int(self.until(lambda f: f["type"] == "paired")["room"]["id"])

    def say(self, text: str) -> None:
        self.ws.send(json.dumps({"type": "send", "client_id": f"c{time.monotonic_ns()}", "text": text}))
        self.until(lambda f: f["type"] == "ack")

    def close(self) -> None:
        self.ws.close()
        self._reader.join(5)
