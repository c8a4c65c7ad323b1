"""The bare baseline: a Starlette room-broadcast app with no persistence, pairing students by arrival.

It speaks the protocol subset the load generator uses (POST /api/join -> token; hello -> welcome, paired;
send -> ack + message to the room), so the same generator drives both and Bridgeway is reported as a ratio.
Run: ``uvicorn bench.baseline:app --ws websockets-sansio --loop uvloop --http httptools``.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


class Rooms:
    """Rooms of two by arrival; message ids from a counter."""

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
            message_id = next(STATE.ids)
            ts = time.time()
            cid = frame["client_id"]
            await websocket.send_text(
                json.dumps({"type": "ack", "client_id": cid, "id": message_id, "ts": ts, "state": "visible"})
            )
            text = json.dumps(
                {"type": "message", "id": message_id, "from": sender, "text": frame["text"], "ts": ts, "client_id": cid}
            )
            for member in STATE.room_of.get(id(websocket), ()):
                await member.send_text(text)
    except WebSocketDisconnect:
        pass
    finally:
        STATE.leave(websocket)


app = Starlette(routes=[Route("/api/join", join, methods=["POST"]), WebSocketRoute("/ws", socket)])
