"""The room lifecycle: every change of a student's state goes through here, and everyone concerned is told.

States and transitions are the table in docs/protocol.md ("Room lifecycle"). The database side of each
transition is in ``rooms.membership`` (the only code that assigns statuses, seats and ``left_at``); this
module runs it off the event loop, holds the reconnect timers and sends the notices.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlmodel import Session

from rooms import interventions, membership
from rooms.batched import BatchedCalls
from rooms.clock import utcnow
from rooms.connection import Connection
from rooms.database import Database
from rooms.hub import Hub
from rooms.lobby import Lobby
from rooms.membership import Change, Move
from rooms.models import Participant
from rooms.notices import Notices
from rooms.store import load_seat, room_seat, students
from rooms.tasks import Tasks

T = TypeVar("T")
Record = Callable[[Session, Change], object]


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    reconnect_grace: float = 20.0  # a paired student's socket may be gone this long before they "left"
    repair_grace: float = 30.0  # a student whose partner dropped away waits this long before re-pairing


class Lifecycle:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        lobby: Lobby,
        notices: Notices,
        config: LifecycleConfig,
        tasks: Tasks,
        forget: Callable[[int], None],
    ) -> None:
        self.db, self.hub, self.lobby, self.notices, self.config = db, hub, lobby, notices, config
        self._tasks = tasks
        self._forget = forget  # drop per-student caches (rate limits, flood windows) of someone who is gone
        self._seated = BatchedCalls(db, tasks, membership.connected_many)  # a burst of hellos shares commits

    # -- the student's socket ---------------------------------------------------------------------------------

    async def connect(self, conn: Connection) -> Participant | None:
        """A socket was authenticated: away/left students wait again; a pending "left" timer is cancelled.

        Returns the student's row as stored now, for ``arrived``.
        """
        assert conn.participant_id is not None
        await self.hub.attach(conn)  # first, so a closing older socket of theirs sees this one (``disconnected``)
        self._tasks.cancel(("away", conn.participant_id))
        return await self._seated.submit(conn.participant_id)

    async def arrived(self, conn: Connection, live: bool, stored: Participant | None) -> None:
        """After welcome and history: the room sees them back, or the lobby pairs them.

        ``stored`` is what ``connect`` returned: the console is shown it without reading the row again.
        """
        assert conn.session_id is not None
        assert conn.participant_id is not None
        if stored is not None:
            await self.notices.students(conn.session_id, [stored])
        if conn.room_id is not None:
            await self.notices.presence(conn.session_id, conn.room_id, conn.participant_id, "joined", conn.display_name)
        elif live:
            self.lobby.request(conn.session_id)

    async def disconnected(self, conn: Connection) -> None:
        """The socket is gone (closed, or silent past the heartbeat timeout)."""
        pid, session_id, room_id = conn.participant_id, conn.session_id, conn.room_id
        await self.hub.detach(conn)
        if pid is None or session_id is None or self.hub.participants.get(pid) is not None:
            return  # never seated, or another tab of theirs is still open
        if room_id is None:
            async with self.lobby.lock(session_id):  # no pairing pass of this process pairs them meanwhile
                was_waiting = await self.db.run(membership.away, pid)
                if was_waiting and pid in self.hub.participants:  # a reload: the new socket came while this one closed
                    await self.db.run(membership.connected, pid)
            if was_waiting:
                await self.show(session_id, pid)
                return  # out of the pool at once: nobody is paired with a closed tab
            seat = await self.db.run(load_seat, pid)  # paired by another process just before the socket went
            room_id = seat.room.id if seat is not None and seat.room is not None else None
            if room_id is None:
                return
        await self.notices.presence(session_id, room_id, pid, "reconnecting", conn.display_name)
        await self.hub.retain_session(session_id)
        self._tasks.later(("away", pid), self.config.reconnect_grace, lambda: self._gone(pid, session_id))
        heard_at = utcnow() - timedelta(seconds=time.monotonic() - conn.last_heard)
        await self.db.run(membership.unheard, pid, heard_at)  # so no pass seats anyone with them meanwhile

    async def _gone(self, pid: int, session_id: int) -> None:
        try:
            if pid in self.hub.participants:
                return
            change = await self.db.run(membership.gone, pid)
            if change is None:
                return
            self._forget(pid)
            await self.show(session_id, pid)
            await self._left(session_id, change, "partner_left", self.config.repair_grace)
        finally:
            await self.hub.release_session(session_id)

    async def swept(self, session_id: int, change: Change) -> None:
        """A paired student no process has heard for long (their server died): the room is told, partner re-paired."""
        self._forget(change.participant_id)
        await self.show(session_id, change.participant_id)
        await self._left(session_id, change, "partner_left", 0)

    async def leave(self, session_id: int, pid: int, nonce: str) -> Change | None:
        """The student pressed Leave: their token is revoked, sockets closed, the partner told and re-paired now.

        ``nonce`` is the one in the student's token: a stale token (left already) changes nothing.
        """
        change = await self.db.run(membership.leave, pid, nonce)
        if change is None:
            return None
        self._tasks.cancel(("away", pid))
        self._forget(pid)
        # Not awaited here: the leave may come from the leaver's own socket, whose tasks end when it closes.
        self._tasks.spawn(self._announce_leave(session_id, change))
        return change

    async def _announce_leave(self, session_id: int, change: Change) -> None:
        await self.notices.event(session_id, change.participant_id, "left")
        await self.show(session_id, change.participant_id)
        await self._left(session_id, change, "partner_left", 0)

    # -- facilitator actions ----------------------------------------------------------------------------------

    async def remove(self, session_id: int, pid: int, record: Record) -> Change:
        """Out of the room, back to the pool; never re-paired with that room's members (they are told)."""
        async with self.lobby.lock(session_id):  # no pairing pass between "waiting" and "moved_out"
            change = await self.db.run(interventions.remove, session_id, pid, record)
            await self.notices.event(session_id, pid, "moved_out", room=change.room_id)
        await self.show(session_id, pid)
        await self._left(session_id, change, "partner_removed", 0)
        self.lobby.request(session_id)
        return change

    async def ban(self, session_id: int, pid: int, record: Record) -> Change:
        change = await self.db.run(interventions.ban, session_id, pid, record)
        await self.notices.event(session_id, pid, "banned")
        self._forget(pid)
        await self.show(session_id, pid)
        await self._left(session_id, change, "partner_removed", 0)
        return change

    async def erase(self, session_id: int, pid: int, record: Callable[[Session, Change], T]) -> tuple[Change, T]:
        change, result = await self.db.run(interventions.erase, session_id, pid, record)
        await self.notices.event(session_id, pid, "removed")
        self._forget(pid)
        await self.show(session_id, pid)
        await self._left(session_id, change, "partner_removed", 0)
        return change, result

    async def move(self, session_id: int, pid: int, target: int, record: Record) -> Move:
        """Seat a student in another open room: both rooms see the new member lists, and why."""
        moved = await self.db.run(interventions.move, session_id, pid, target, record)
        old = moved.change.room_id
        if old is not None:
            await self.notices.event(session_id, pid, "moved_out", room=old)
        await self.notices.seated(session_id, target, moved.members, moved.slow_mode)
        await self.show(session_id, pid)
        await self._left(session_id, moved.change, "partner_moved", 0)
        return moved

    async def close_room(self, session_id: int, room_id: int, record: Record) -> list[int]:
        members = await self.db.run(interventions.close_room, session_id, room_id, record)
        await self.notices.room_event(session_id, room_id, "room_closed")
        await self.show(session_id, *members)
        self.lobby.request(session_id)
        return members

    async def repair_all(
        self, session_id: int, record: Callable[[Session, int], object]
    ) -> list[tuple[int, list[int]]]:
        async with self.lobby.lock(session_id):
            moved = await self.db.run(interventions.empty_rooms, session_id, record)
            for room_id, participant_ids in moved:
                for pid in participant_ids:
                    await self.notices.event(session_id, pid, "repairing", room=room_id)
        await self.show(session_id, *(pid for _, participant_ids in moved for pid in participant_ids))
        return moved

    # -- shared -----------------------------------------------------------------------------------------------

    async def _left(self, session_id: int, change: Change, why: str, repair_after: float) -> None:
        """Tell the room someone is out (by name, and why), then re-pair a member left alone."""
        room_id = change.room_id
        if room_id is None:
            return
        await self.notices.presence(session_id, room_id, change.participant_id, "left", change.name)
        if len(change.remaining) != 1:
            return  # empty (closed already) or still a conversation of two or more
        await self.notices.room_event(session_id, room_id, why, participant=change.participant_id, name=change.name)
        if repair_after > 0:
            await asyncio.sleep(repair_after)
        await self.repair_if_alone(session_id, room_id)

    async def repair_if_alone(self, session_id: int, room_id: int) -> None:
        """Return a student left alone in a room to the lobby so they are paired again (history stays on screen)."""
        seat = await self.db.run(room_seat, room_id)
        if len(seat) != 1:
            return
        async with self.lobby.lock(session_id):
            moved = await self.db.run(membership.return_to_lobby, seat, room_id)
            for pid in moved:
                await self.notices.event(session_id, pid, "repairing", room=room_id)
        if moved:
            await self.show(session_id, *moved)
            self.lobby.request(session_id)

    async def show(self, session_id: int, *pids: int) -> None:
        """Tell the session's watchers (the console) these students' state as stored now, after it changed.

        Also for changes made outside the room lifecycle (a join, a mute), so the console needs no reload.
        """
        if pids:
            await self.notices.students(session_id, await self.db.run(students, list(pids)))

    async def aclose(self) -> None:
        await self._tasks.aclose()
