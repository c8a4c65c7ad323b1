"""Simulated students for the classroom simulation: protocol-v1 clients that misbehave the way real ones do.

Each keeps a timeline (when it was in which room, when its socket really went) so the simulation can check the
server's promises against what actually happened on the client side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

FINAL = (4000, 4001, 4003, 4008, 4010)  # close codes after which a client must not reconnect (docs/protocol.md §6)


@dataclass
class Stay:
    """One room a student was in, from the ``paired`` frame to the event that took them out (or the end)."""

    room: int
    start: float
    end: float | None = None
    members: set[int] = field(default_factory=set)
    first_members: set[int] = field(default_factory=set)


@dataclass
class Pairing:
    at: float
    room: int
    student: int
    others: frozenset[int]
    new: bool  # the student was not in this room before (a room formed, or joined as a third)


class SimStudent:
    def __init__(self, name: str, country: str, code: str, ws_url: str) -> None:
        self.name, self.country, self.code, self.ws_url = name, country, code, ws_url
        self.token = ""
        self.pid = 0
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.room: int | None = None
        self.room_last_id = 0
        self.stays: list[Stay] = []
        self.pairings: list[Pairing] = []
        self.received: Counter[int] = Counter()  # message id -> times received
        self.acked: list[tuple[int, int, float]] = []  # (message id, room, time)
        self.gone_at: float | None = None  # the socket really went (no close frame / network lost / left)
        self.gone_kind = ""
        self.gone_spans: list[list[Any]] = []  # [start, end or None, kind]
        self.waiting_since: float | None = None  # client view: in the lobby with a live socket
        self.lobby_spans: list[tuple[float, float | None]] = []
        self.left = False  # pressed leave: out for good
        self.removed = False
        self.final_close: int | None = None
        self.sent = 0
        self.last_close: int | None = None
        self.told: list[float] = []
        self.retry: asyncio.Task[None] | None = None  # "waiting for a partner from another country"

    # -- connection -------------------------------------------------------------------------------------------

    async def connect(self) -> None:
        self.ws = await connect(self.ws_url, open_timeout=20, max_queue=None)
        hello = {"type": "hello", "v": 1, "token": self.token, "last_id": self.room_last_id}
        await self.ws.send(json.dumps(hello))
        self.gone_at, self.gone_kind = None, ""
        if self.gone_spans and self.gone_spans[-1][1] is None:
            self.gone_spans[-1][1] = time.monotonic()
        self.reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self._on_frame(json.loads(raw), ws)
        except ConnectionClosed:
            pass
        finally:
            if ws.close_code is not None:
                self.last_close = ws.close_code
            if self.ws is ws and self.gone_at is None:
                self._went(f"closed {ws.close_code}")
                if ws.close_code not in FINAL and not self.left:  # like chat.js: reconnect and resume
                    self.retry = asyncio.get_running_loop().create_task(self._reconnect())

    def _on_frame(self, frame: dict[str, Any], ws: ClientConnection) -> None:
        kind, now = frame["type"], time.monotonic()
        if kind == "ping":
            asyncio.get_running_loop().create_task(_quietly(ws.send('{"type":"pong"}')))
        elif kind == "welcome":
            self.pid = frame["participant"]["id"]
            if frame["room"] is not None:
                self._enter(frame["room"], now)
            else:
                self._to_lobby(now)
        elif kind == "paired":
            self._enter(frame["room"], now)
        elif kind == "message":
            if frame["room"] == self.room:
                self.received[frame["id"]] += 1
                self.room_last_id = max(self.room_last_id, frame["id"])
        elif kind == "ack" and frame.get("state") == "visible" and self.room is not None:
            self.acked.append((frame["id"], self.room, now))
        elif kind == "event" and frame["event"] in ("repairing", "moved_out", "room_closed"):
            self._to_lobby(now)
        elif kind == "event" and frame["event"] == "left":
            self.left = True
        elif kind == "event" and frame["event"] == "waiting":
            self.told.append(now)

    def _enter(self, room: dict[str, Any], now: float) -> None:
        members = {m["id"] for m in room["members"]}
        new = self.room != room["id"]
        if new:
            self._close_stay(now)
            self.stays.append(Stay(room["id"], now, members=set(members), first_members=set(members)))
            self.room, self.room_last_id = room["id"], 0
        else:
            self.stays[-1].members |= members
        self._lobby_end()
        self.pairings.append(Pairing(now, room["id"], self.pid, frozenset(members - {self.pid}), new))

    def _close_stay(self, now: float) -> None:
        if self.stays and self.stays[-1].end is None:
            self.stays[-1].end = now

    def _to_lobby(self, now: float) -> None:
        self._close_stay(now)
        self.room = None
        if self.waiting_since is None:
            self.waiting_since = now
            self.lobby_spans.append((now, None))

    def _lobby_end(self) -> None:
        if self.waiting_since is not None:
            start = self.lobby_spans[-1][0]
            self.lobby_spans[-1] = (start, time.monotonic())
            self.waiting_since = None

    async def _reconnect(self) -> None:
        await asyncio.sleep(0.5)
        if self.gone_kind.startswith("closed"):
            await self.connect()

    # -- behaviours -------------------------------------------------------------------------------------------

    async def say(self, text: str) -> None:
        if self.ws is not None and self.room is not None and self.gone_at is None:
            self.sent += 1
            frame = {"type": "send", "client_id": f"{self.name}-{self.sent}", "text": text}
            await _quietly(self.ws.send(json.dumps(frame)))

    async def close_tab(self) -> None:
        """The tab closes without a close frame: the TCP connection just ends."""
        self._went("tab closed")
        assert self.ws is not None
        self.ws.transport.abort()
        await self._stop_reader()

    async def reload(self) -> None:
        """A page reload: the old socket closes properly, a new one says hello with the last id seen."""
        assert self.ws is not None
        self._went("reload")
        await _quietly(self.ws.close())
        await self._stop_reader()
        await self.connect()

    async def lose_network(self, seconds: float) -> None:
        """No frame in either direction for a while (no close frame, no FIN), then a fresh connection."""
        self._went("network lost")
        await self._stop_reader()  # nothing read, no pong answered: the server hears nothing
        await asyncio.sleep(seconds)
        assert self.ws is not None
        self.ws.transport.abort()
        self.room = None  # meanwhile the room was given up: the new socket's welcome says where we are
        await self.connect()

    async def leave(self) -> None:
        assert self.ws is not None
        self.left = True
        self._went("left")
        await _quietly(self.ws.send('{"type":"leave"}'))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ws.wait_closed(), 5)
        self.final_close = self.ws.close_code
        await self._stop_reader()

    def _went(self, kind: str) -> None:
        self.gone_at, self.gone_kind = time.monotonic(), kind
        self.gone_spans.append([self.gone_at, None, kind])
        self._lobby_end()

    async def _stop_reader(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
            self.reader = None

    async def aclose(self) -> None:
        if self.retry is not None:
            self.retry.cancel()
        await self._stop_reader()
        if self.ws is not None:
            await _quietly(self.ws.close())

    @property
    def present(self) -> bool:
        """Still taking part at the end: connected, not left, not removed by a facilitator's ban."""
        return not self.left and self.gone_at is None and self.ws is not None


async def _quietly(coro: Any) -> None:
    with contextlib.suppress(ConnectionClosed, OSError):
        await coro
