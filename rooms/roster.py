"""Who is in a room, as moderation needs it: members' names ("@Maria" is addressing, not a handle) and
countries (the regions phone numbers are read for).

Kept per room until a frame says its membership changed: every arrival is a `paired` frame to the room's members
and every departure a `presence` frame to the room, from whichever process made the change, so a room is read
again only when someone came or went instead of every few seconds (a database read a few messages). A `paired`
frame carries the room's whole member list, so the roster is taken from it rather than read back. ``ttl`` only
bounds what a frame missed in a broker outage can leave stale."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from rooms.connection import Connection
from rooms.database import Database
from rooms.store import room_members


@dataclass(frozen=True, slots=True)
class Roster:
    names: tuple[str, ...]
    countries: tuple[str, ...]


def _load(db: Session, room_id: int) -> Roster:
    members = room_members(db, room_id)
    return Roster(tuple(m.display_name for m in members), tuple(sorted({m.country for m in members if m.country})))


class RoomRosters:
    def __init__(self, db: Database, ttl: float = 60.0, max_rooms: int = 10_000) -> None:
        self.db, self.ttl, self.max_rooms = db, ttl, max_rooms
        self._cache: dict[int, tuple[float, Roster]] = {}
        self._changes = 0  # counts `changed` calls: a read that overlapped one is not kept

    async def get(self, room_id: int) -> Roster:
        now = time.monotonic()
        cached = self._cache.get(room_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        changes = self._changes
        roster = await self.db.run(_load, room_id)
        if changes == self._changes:
            if len(self._cache) >= self.max_rooms:
                self._cache.clear()  # rooms of a finished lesson: cheaper to start again than to track age
            self._cache[room_id] = (now, roster)
        return roster

    def changed(self, room_id: int | None) -> None:
        """Someone came to or left ``room_id``: read it again when it is next needed."""
        self._changes += 1
        if room_id is not None:
            self._cache.pop(room_id, None)

    def _seed(self, room_id: int, members: object) -> None:
        """Keep the member list a `paired` frame carries (the room as the seating left it), so a room's first
        message does not read it back: 1,000 rooms formed at once cost ~0.5 s of reads in their first second."""
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            return
        ordered = sorted(members, key=lambda m: m.get("id") or 0)
        names = tuple(str(m.get("name", "")) for m in ordered)
        countries = tuple(sorted({str(m["country"]) for m in ordered if m.get("country")}))
        self._cache[room_id] = (time.monotonic(), Roster(names, countries))

    def on_control(self, conn: Connection, frame: dict[str, Any]) -> None:
        """A hub control handler (`rooms.hub.Hub.on_control`): the frames that say a room's members changed."""
        kind = frame.get("type")
        if kind == "paired":
            room = frame.get("room")
            self.changed(room.get("id") if isinstance(room, dict) else None)
            if isinstance(room, dict) and isinstance(room.get("id"), int):
                self._seed(room["id"], room.get("members"))
        elif kind == "presence" or (kind == "event" and "room" in frame):
            room_id = frame.get("room")
            self.changed(room_id if isinstance(room_id, int) else None)
