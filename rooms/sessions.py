"""A student's socket from hello to close: refuse or seat it, send welcome and the missed history."""

from __future__ import annotations

from typing import Any

from rooms.batched import BatchedCalls
from rooms.clock import iso, utcnow
from rooms.connection import Connection
from rooms.database import Database
from rooms.feed import RoomFeed
from rooms.lifecycle import Lifecycle
from rooms.models import ParticipantStatus, SessionStatus
from rooms.protocol import (
    CLOSE_AUTH_FAILED,
    CLOSE_FORBIDDEN,
    CLOSE_SESSION_ENDED,
    PROTOCOL_VERSION,
    dumps,
    error_frame,
    member_view,
    room_view,
)
from rooms.session_moderation import SessionModerators
from rooms.store import Seat, load_seats
from rooms.tasks import Tasks
from rooms.translate import RoomTranslator


class Sessions:
    def __init__(
        self,
        db: Database,
        lifecycle: Lifecycle,
        moderators: SessionModerators,
        translator: RoomTranslator | None,
        feed: RoomFeed,
        tasks: Tasks,
    ) -> None:
        self.db, self.lifecycle, self.moderators, self.translator = db, lifecycle, moderators, translator
        self.feed, self._tasks = feed, tasks
        self._seats = BatchedCalls(db, tasks, load_seats)  # a burst of hellos shares trips to the database

    async def open(
        self, conn: Connection, participant_id: int, nonce: str, last_id: int, last_seq: int | None = None
    ) -> bool:
        """Seat an authenticated student's socket and send welcome (+ missed messages). False = refused."""
        seat = await self._seats.submit(participant_id)
        if seat is None or seat.participant.token_nonce != nonce:  # a new nonce revokes old tokens (leave, erase)
            return _refuse(conn, "token_invalid", CLOSE_AUTH_FAILED)
        participant, exchange_session = seat.participant, seat.session
        if participant.banned or participant.status == ParticipantStatus.REMOVED:
            return _refuse(conn, "banned", CLOSE_FORBIDDEN)
        if exchange_session.status in (SessionStatus.CLOSED, SessionStatus.CANCELLED):
            return _refuse(conn, "session_closed", CLOSE_SESSION_ENDED)
        conn.session_id = exchange_session.id
        conn.participant_id, conn.nonce = participant_id, nonce
        self.moderators.load(exchange_session)
        conn.display_name = participant.display_name
        conn.country = participant.country
        conn.languages = tuple(participant.languages)
        conn.class_id = participant.class_id
        conn.muted_until = participant.muted_until
        conn.paused = exchange_session.status == SessionStatus.PAUSED
        conn.room_id = seat.room.id if seat.room is not None and seat.room.status == "open" else None
        conn.slow_mode_seconds = seat.room.slow_mode_seconds if seat.room is not None else 0
        if conn.room_id is not None:
            self.feed.hold(conn, conn.room_id)  # live messages wait until the catch-up is sent, never overtake it
        conn.hold_until()
        stored = await self.lifecycle.connect(conn)
        conn.release(dumps(self._welcome(seat, conn)))
        if conn.room_id is not None:
            # In the background: the socket's writer starts only once hello is answered, and pages wait for it.
            self.feed.resume_soon(conn, conn.room_id, last_seq, last_id)
        await self.lifecycle.arrived(conn, exchange_session.status == SessionStatus.LIVE, stored)
        return True

    async def closed(self, conn: Connection) -> None:
        """The socket ended. Its transition runs as its own task: the socket's handler may be cancelled now."""
        self.feed.forget(conn)
        self._tasks.spawn(self.lifecycle.disconnected(conn))

    def _welcome(self, seat: Seat, conn: Connection) -> dict[str, Any]:
        s = seat.session
        prompt = s.prompts[s.current_prompt] if 0 <= s.current_prompt < len(s.prompts) else None
        room = room_view(conn.room_id, seat.members, conn.slow_mode_seconds) if conn.room_id is not None else None
        return {
            "type": "welcome",
            "v": PROTOCOL_VERSION,
            "participant": member_view(seat.participant),
            "session": {"id": s.id, "title": s.title, "topic": s.topic, "status": s.status.value, "prompt": prompt},
            "status": "paired" if room is not None else "waiting",
            "room": room,
            "muted_until": iso(conn.muted_until) if conn.muted_until and conn.muted_until > utcnow() else None,
            "translation_languages": sorted(self.translator.languages()) if self.translator else [],
        }

    async def send_history(self, conn: Connection, last_id: int, last_seq: int | None = None) -> None:
        """Messages of the student's room after ``last_seq`` (or ``last_id``), then ``resumed`` (hello and resume)."""
        if conn.room_id is not None:
            await self.feed.resume(conn, conn.room_id, last_seq, last_id)


def _refuse(conn: Connection, code: str, close_code: int) -> bool:
    conn.send(dumps(error_frame(code)))
    conn.close(close_code, code)
    return False
