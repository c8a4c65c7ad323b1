"""Who is in a room, as moderation needs it: members' names ("@Maria" is addressing, not a handle) and
countries (the regions phone numbers are read for). Cached briefly, so a busy room costs one query every few
seconds rather than one a message; a member who arrived since is seen within `ttl` seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlmodel import Session

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
    def __init__(self, db: Database, ttl: float = 5.0, max_rooms: int = 10_000) -> None:
        self.db, self.ttl, self.max_rooms = db, ttl, max_rooms
        self._cache: dict[int, tuple[float, Roster]] = {}

    async def get(self, room_id: int) -> Roster:
        now = time.monotonic()
        cached = self._cache.get(room_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        roster = await self.db.run(_load, room_id)
        if len(self._cache) >= self.max_rooms:
            self._cache.clear()  # rooms of a finished lesson: cheaper to start again than to track age
        self._cache[room_id] = (now, roster)
        return roster
