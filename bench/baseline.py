"""The bare baseline: a Starlette relay with no persistence, pairing students by arrival, ONE frame per message.

It speaks the protocol subset the load generator needs (POST /api/join -> token; hello -> welcome, paired) and
relays each ``send`` as one ``message`` frame to the sender's partners: no ack, no echo to the sender, no ids, so
it measures what a WebSocket relay costs and nothing else (the load generator runs it with ``--no-acks``).
Run: ``uvicorn bench.baseline:app --ws websockets-sansio --loop uvloop --http httptools``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


class Rooms:
    """Rooms of two by arrival."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.waiting: tuple[int, WebSocket] | None = None
        self.room_of: dict[int, list[WebSocket]] = {}  # id(socket) -> the room's sockets

    async def seat(self, pid: int, ws: WebSocket) -> None:
        if self.waiting is None:
            self.waiting = (pid, ws)
            return
        other_pid, other = self.waiting
        self.waiting = None
        members = [other, ws]
        room_id = next(self.ids)
        text = json.dumps({"type": "paired", "room": {"id": room_id, "members": [{"id": other_pid}, {"id": pid}]}})
        for member in members:
            self.room_of[id(member)] = members
            await member.send_text(text)

    def leave(self, ws: WebSocket) -> None:
        self.room_of.pop(id(ws), None)
        if self.waiting is not None and self.waiting[1] is ws:
            self.waiting = None


STATE = Rooms()
_tokens = itertools.count(1)


async def join(request: Request) -> Response:
    body: Any = await request.json()
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        return JSONResponse({"error": "bad_request"}, status_code=400)
    pid = next(_tokens)
    return JSONResponse({"token": str(pid), "participant": {"id": pid}, "ws": "/ws"}, status_code=201)


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    hello = json.loads(await websocket.receive_text())
    pid = int(hello["token"])
    await websocket.send_text(json.dumps({"type": "welcome", "participant": {"id": pid}, "status": "waiting"}))
    await STATE.seat(pid, websocket)
    sender = {"id": pid}
    try:
        while True:
            frame = json.loads(await websocket.receive_text())
            if frame.get("type") != "send":
                continue
            text = json.dumps({"type": "message", "from": sender, "text": frame["text"]})
            for member in STATE.room_of.get(id(websocket), ()):
                if member is not websocket:
                    await member.send_text(text)
    except WebSocketDisconnect:
        pass
    finally:
        STATE.leave(websocket)


app = Starlette(routes=[Route("/api/join", join, methods=["POST"]), WebSocketRoute("/ws", socket)])
