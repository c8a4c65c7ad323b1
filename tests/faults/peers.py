"""Shared pieces of the fault tests: seeding a database, and a real-socket student that waits for chosen frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.migrate import upgrade
from tests.conftest import make_settings
from tests.rooms.test_server import Student
from tests.support.server import Server


def seed(data_dir: Path, database_url: str | None = None) -> DemoData:
    """Migrate and load the demo (two classes, a live session) into ``database_url`` (default: SQLite in data_dir)."""
    config = make_settings(data_dir, **({"database_url": database_url} if database_url else {}))
    engine = make_engine(config.database_url)
    upgrade(engine)
    data = seed_demo(engine, config)
    engine.dispose()
    return data


class Peer(Student):
    """A protocol-v1 student over a real socket that also records every frame it read."""

    def __init__(self, server: Server, token: str) -> None:
        self.frames: list[dict[str, Any]] = []
        super().__init__(server, token)

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        frame = super().recv(timeout)
        self.frames.append(frame)
        return frame

    def first_of(self, *types: str, timeout: float = 10) -> dict[str, Any]:
        """The next frame whose type is one of ``types`` (error frames included when asked for)."""
        for _ in range(200):
            frame = self.recv(timeout)
            if frame["type"] in types:
                return frame
        raise AssertionError(f"none of {types} in 200 frames")

    def message(self, text: str, timeout: float = 10) -> dict[str, Any]:
        """The next message frame carrying ``text`` (one's own echoes and other messages are skipped)."""
        for _ in range(500):
            frame = self.first_of("message", timeout=timeout)
            if frame["text"] == text:
                return frame
        raise AssertionError(f"no message {text!r}")

    def post(self, client_id: str, text: str) -> dict[str, Any]:
        """Send a message and return what answered it: its ack or an error frame for that client id."""
        import json

        self.ws.send(json.dumps({"type": "send", "client_id": client_id, "text": text}))
        for _ in range(200):
            frame = self.recv()
            if frame["type"] in ("ack", "error") and frame.get("client_id") == client_id:
                return frame
        raise AssertionError(f"no answer to {client_id}")


def pair(one: Server, two: Server | None = None, names: tuple[str, str] = ("Alice", "Bruno")) -> tuple[Peer, Peer]:
    """Join a GB and an ES student (on ``one`` and ``two``) and wait until both are paired."""
    two = two or one
    alice = Peer(one, str(one.join("RIVER9", names[0])["token"]))
    bruno = Peer(two, str(two.join("CERVA3", names[1])["token"]))
    alice.first_of("paired")
    bruno.first_of("paired")
    return alice, bruno
