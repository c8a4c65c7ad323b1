"""The message pipeline: a student's ``send`` is checked, moderated, stored, acknowledged, published, translated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from rooms.clock import iso, utcnow
from rooms.config import RoomsConfig
from rooms.connection import Connection
from rooms.database import Database
from rooms.models import SEQUENCED, MessageData, MessageKind, MessageRow, ModerationState
from rooms.moderation import Action, MessageContext, Moderator, plain_reason
from rooms.notices import Notices
from rooms.parsing import FrameError, parse_send
from rooms.protocol import (
    ack_frame,
    dumps,
    error_frame,
    flagged_frame,
    message_frame,
    typing_frame,
)
from rooms.ratelimit import SlidingWindow
from rooms.roster import RoomRosters
from rooms.store import sequence_released
from rooms.tasks import Tasks
from rooms.translate import RoomTranslator
from rooms.writer import BatchWriter, WriteFailed, Written

# (session, room, message, participant, alert code): raise a safeguarding alert (rooms.reports.Reports.alert).
AlertRaiser = Callable[[int, int, int, int, str], Awaitable[None]]

_STATE_FOR_ACTION = {
    Action.ALLOW: ModerationState.VISIBLE,
    Action.MASK: ModerationState.MASKED,
    Action.HOLD: ModerationState.HELD,
    Action.BLOCK: ModerationState.BLOCKED,
}
# Read for every message: module constants, as `ModerationState.X` is a slow class look-up (~0.2 µs).
_VISIBLE: Final = ModerationState.VISIBLE
_HELD: Final = ModerationState.HELD


class MessagePipeline:
    def __init__(
        self,
        db: Database,
        writer: BatchWriter,
        notices: Notices,
        moderator_for: Callable[[int], Moderator],
        translator: RoomTranslator | None,
        config: RoomsConfig,
        tasks: Tasks,
        rosters: RoomRosters,
        alerts: AlertRaiser,
    ) -> None:
        self.db, self.writer, self.notices, self.moderator_for = db, writer, notices, moderator_for
        self.translator, self.config, self._tasks = translator, config, tasks
        self.rosters, self.alerts = rosters, alerts
        self.limiter = SlidingWindow(config.message_rate)

    async def send(self, conn: Connection, frame: dict[str, Any]) -> None:
        send = parse_send(frame)
        cid = send.client_id
        if conn.room_id is None or conn.session_id is None or conn.participant_id is None:
            raise FrameError("not_in_room")
        refusal = self._refusal(conn, cid, len(send.text))
        if refusal is not None:
            conn.send(dumps(refusal))
            return
        now, now_dt = time.monotonic(), utcnow()
        language = send.language or (conn.languages[0] if conn.languages else None)
        sent_at = time.time()
        roster = await self.rosters.get(conn.room_id)
        context = MessageContext(
            text=send.text,
            language=language,
            participant_id=conn.participant_id,
            room_id=conn.room_id,
            session_id=conn.session_id,
            sent_at=sent_at,
            countries=roster.countries,
            member_names=tuple(name for name in roster.names if name != conn.display_name),
        )
        outcome = await self.moderator_for(conn.session_id).moderate(context)
        state = _STATE_FOR_ACTION[outcome.action]
        if self.translator is not None and send.language is None and state in SEQUENCED:
            language = self.translator.detect(outcome.text, conn.languages, language)
        message = MessageRow(
            room_id=conn.room_id,
            participant_id=conn.participant_id,
            client_msg_id=cid,
            text=outcome.text,
            original_text=send.text if outcome.text != send.text else None,
            language=language,
            state=state,
            reason=outcome.reason,
            created_at=now_dt,
        )
        session_id = conn.session_id
        sender = {"id": conn.participant_id, "name": conn.display_name, "country": conn.country}

        def after_commit(written: Written) -> None:
            # Runs in the writer's task, so a socket dropped after the commit cannot stop the fan-out; a retry
            # that finds its message stored publishes it again (receivers drop what they already have). Soon, not
            # now: the senders' tasks woken by the commit run first, so each ack is written before its echo.
            loop = asyncio.get_running_loop()
            loop.call_soon(self._start_delivery, session_id, written, sender, sent_at, outcome.alert)

        try:
            written = await self.writer.write(message, after_commit)
        except WriteFailed:
            conn.send(dumps(error_frame("unavailable", cid)))
            return
        stored = written.message
        conn.last_sent = now
        notice = plain_reason(stored.reason) if stored.state != _VISIBLE else None
        conn.send(dumps(ack_frame(stored, notice)))

    def _refusal(self, conn: Connection, cid: str, length: int) -> dict[str, Any] | None:
        """Why this message may not be sent now (paused, too long, muted, rate limit, slow mode), or None."""
        assert conn.participant_id is not None
        if conn.paused:
            return error_frame("session_paused", cid)
        if length > self.config.max_message_chars:
            return error_frame("too_long", cid, max_chars=self.config.max_message_chars)
        if conn.muted_until is not None and conn.muted_until > utcnow():
            return error_frame("muted", cid, until=iso(conn.muted_until))
        if not self.limiter.hit(conn.participant_id):
            return error_frame("rate_limited", cid)
        now = time.monotonic()
        if conn.slow_mode_seconds and now - conn.last_sent < conn.slow_mode_seconds:
            wait = conn.slow_mode_seconds - (now - conn.last_sent)
            return error_frame("slow_mode", cid, retry_after=round(wait, 1))
        return None

    def _start_delivery(
        self, session_id: int, written: Written, sender: dict[str, Any], sent_at: float, alert: str | None
    ) -> None:
        # At once: with the in-process broker nothing in a delivery waits, so no task is needed (rooms.eager).
        self._tasks.start(self._deliver(session_id, written, sender, sent_at, alert))

    async def _deliver(
        self, session_id: int, written: Written, sender: dict[str, Any], sent_at: float, alert: str | None
    ) -> None:
        stored = written.message
        if stored.state in SEQUENCED:
            await self.deliver(session_id, stored, sender, sent_at, translate=not written.duplicate)
        elif stored.state == _HELD and not written.duplicate:
            await self.notices.watchers(session_id, flagged_frame(stored, sender))
        if alert is not None and not written.duplicate and stored.id is not None:
            # After delivery: a child disclosing harm is heard first; the alert follows at once.
            await self.alerts(session_id, stored.room_id, stored.id, sender["id"], alert)

    async def deliver(
        self,
        session_id: int,
        stored: MessageData,
        sender: dict[str, Any] | None,
        sent_at: float,
        translate: bool = True,
    ) -> None:
        """Publish a stored, visible message to its room with its translations (also when a facilitator releases).

        With translation on, the translator publishes the original once its translations passed moderation."""
        if stored.seq is None:  # released from the queue just now: it takes the room's next position
            stored = await self.db.run(sequence_released, stored)
        if self.translator is not None and stored.kind == MessageKind.CHAT:
            released = stored

            async def publish() -> None:
                await self.notices.room(session_id, released.room_id, message_frame(released, sender))

            # A retry's republish (translate=False) still queues behind the room's earlier deliveries.
            self._tasks.spawn(self.translator.deliver(session_id, stored, sender, sent_at, publish, translate))
        else:
            await self.notices.room(session_id, stored.room_id, message_frame(stored, sender))

    async def typing(self, conn: Connection) -> None:
        if conn.room_id is None or conn.session_id is None:
            raise FrameError("not_in_room")
        now = time.monotonic()
        if now - conn.last_typing < 2.0:
            return
        conn.last_typing = now
        await self.notices.room(conn.session_id, conn.room_id, typing_frame(conn.room_id, conn.participant_id))
