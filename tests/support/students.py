"""Test helpers that act like a student client: join over HTTP, talk protocol v1 over a WebSocket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient
from starlette.testclient import WebSocketTestSession as WS


def join(client: TestClient, code: str, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/join", json={"code": code, "name": name, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def hello(ws: WS, token: str, last_id: int = 0) -> dict[str, Any]:
    ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token, "last_id": last_id}))
    frame: dict[str, Any] = ws.receive_json()
    assert frame["type"] == "welcome", frame
    return frame


def until(ws: WS, frame_type: str, limit: int = 50) -> dict[str, Any]:
    """Read frames until one of ``frame_type`` arrives (others, like presence or typing, are skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == frame_type:
            return frame
    raise AssertionError(f"no {frame_type!r} frame within {limit} frames")


def send(ws: WS, client_id: str, text: str, **extra: Any) -> None:
    ws.send_text(json.dumps({"type": "send", "client_id": client_id, "text": text, **extra}))


@contextmanager
def paired_pair(client: TestClient) -> Iterator[tuple[WS, WS, int, int, int]]:
    """Alice (GB) and Bruno (ES) in one room: (alice socket, bruno socket, room, alice id, bruno id)."""
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        room = until(a, "paired")["room"]["id"]
        until(b, "paired")
        yield a, b, room, alice["participant"]["id"], bruno["participant"]["id"]
