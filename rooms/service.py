"""The message service: what happens to a student's frames (moderate -> persist -> publish -> translate)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rooms.clock import iso, utcnow
from rooms.connection import Connection
from rooms.database import Database
from rooms.hub import Hub
from rooms.lobby import Lobby, member_view, room_view
from rooms.models import (
    ExchangeSession,
    Message,
    MessageKind,
    ModerationState,
    ParticipantStatus,
    Report,
    SessionStatus,
)
from rooms.moderation import Action, MessageContext, Moderator, plain_reason
from rooms.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_SESSION_ENDED,
    FrameError,
    error_frame,
    get_int,
    get_str,
    parse_send,
)
from rooms.ratelimit import SlidingWindow
from rooms.store import Seat, history, history_since, load_seat, mark_left, return_to_lobby
from rooms.translate import RoomTranslator
from rooms.writer import BatchWriter, WriteFailed

log = logging.getLogger(__name__)
REPORT_REASONS = frozenset({"contact_details", "bullying", "inappropriate", "spam", "unsafe", "other"})
_STATE_FOR_ACTION = {
    Action.ALLOW: ModerationState.VISIBLE,
    Action.MASK: ModerationState.MASKED,
    Action.HOLD: ModerationState.HELD,
    Action.BLOCK: ModerationState.BLOCKED,
}


@dataclass(frozen=True, slots=True)
class RoomsConfig:
    max_message_chars: int = 2000
    message_rate: str = "20/10 seconds"
    reconnect_grace: float = 20.0
    repair_grace: float = 30.0


def message_frame(message: Message, sender: dict[str, Any] | None) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "message",
        "id": message.id,
        "room": message.room_id,
        "kind": message.kind.value,
        "from": sender,
        "text": message.text,
        "lang": message.language,
        "ts": iso(message.created_at),
    }
    if message.client_msg_id is not None:
        frame["client_id"] = message.client_msg_id
    if message.state == ModerationState.MASKED:
        frame["masked"] = True
    return frame


class RoomService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        writer: BatchWriter,
        lobby: Lobby,
        moderator: Moderator,
        translator: RoomTranslator | None,
        config: RoomsConfig,
    ) -> None:
        self.db = db
        self.hub = hub
        self.writer = writer
        self.lobby = lobby
        self.moderator = moderator
        self.translator = translator
        self.config = config
        self._limiter = SlidingWindow(config.message_rate)
        self._away: dict[int, asyncio.TimerHandle] = {}
        self._session_moderators: dict[int, Moderator] = {}
        self.report_listeners: list[Callable[[int], Awaitable[None]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        hub.on_control(self._apply_control)
        hub.on_broker_status(self._broker_status)
        self._outage_since: datetime | None = None

    # -- connection lifecycle ---------------------------------------------------------------------

    async def open_participant(self, conn: Connection, participant_id: int, nonce: str, last_id: int) -> bool:
        """Seat an authenticated student's socket and send welcome (+ missed messages). False = refused."""
        seat = await self.db.run(load_seat, participant_id)
        if seat is None or seat.participant.token_nonce != nonce:
            conn.send(_dump(error_frame("token_invalid")))
            conn.close(4001, "token_invalid")
            return False
        participant, exchange_session = seat.participant, seat.session
        if participant.banned or participant.status == ParticipantStatus.REMOVED:
            conn.send(_dump(error_frame("banned")))
            conn.close(CLOSE_FORBIDDEN, "banned")
            return False
        if exchange_session.status in (SessionStatus.CLOSED, SessionStatus.CANCELLED):
            conn.send(_dump(error_frame("session_closed")))
            conn.close(CLOSE_SESSION_ENDED, "session_closed")
            return False
        conn.session_id = exchange_session.id
        conn.participant_id = participant_id
        self._load_session_moderation(exchange_session)
        conn.display_name = participant.display_name
        conn.country = participant.country
        conn.languages = tuple(participant.languages)
        conn.class_id = participant.class_id
        conn.muted_until = participant.muted_until
        conn.paused = exchange_session.status == SessionStatus.PAUSED
        conn.room_id = seat.room.id if seat.room is not None and seat.room.status == "open" else None
        conn.slow_mode_seconds = seat.room.slow_mode_seconds if seat.room is not None else 0
        if participant.status in (ParticipantStatus.AWAY, ParticipantStatus.LEFT):
            await self.db.run(_rejoin_waiting, participant_id)
        await self.hub.attach(conn)
        conn.send(_dump(self._welcome(seat, conn)))
        handle = self._away.pop(participant_id, None)
        if handle is not None:
            handle.cancel()
        if conn.room_id is not None:
            await self._send_history(conn, last_id)
            await self.hub.to_room(
                conn.session_id or 0,
                conn.room_id,
                {"type": "presence", "room": conn.room_id, "participant": participant_id, "state": "joined"},
            )
        elif exchange_session.status == SessionStatus.LIVE:
            self.lobby.request(exchange_session.id or 0)
        return True

    def moderator_for(self, session_id: int) -> Moderator:
        """The deployment's moderator with this session's overrides (e.g. its link allow-list) applied."""
        return self._session_moderators.get(session_id, self.moderator)

    def _load_session_moderation(self, exchange_session: ExchangeSession) -> None:
        if exchange_session.id is None or not exchange_session.moderation:
            return
        try:
            config = self.moderator.config.merged(exchange_session.moderation)
        except ValueError:
            log.exception("session %s has invalid moderation overrides; using the defaults", exchange_session.id)
            return
        self._session_moderators[exchange_session.id] = Moderator(config, self.moderator.plugin_manager)

    def _welcome(self, seat: Seat, conn: Connection) -> dict[str, Any]:
        s = seat.session
        prompt = s.prompts[s.current_prompt] if 0 <= s.current_prompt < len(s.prompts) else None
        room = room_view(conn.room_id, seat.members, conn.slow_mode_seconds) if conn.room_id is not None else None
        return {
            "type": "welcome",
            "v": 1,
            "participant": member_view(seat.participant),
            "session": {"id": s.id, "title": s.title, "topic": s.topic, "status": s.status.value, "prompt": prompt},
            "status": "paired" if room is not None else "waiting",
            "room": room,
            "muted_until": iso(conn.muted_until) if conn.muted_until and conn.muted_until > utcnow() else None,
            "translation_languages": sorted(self.translator.languages()) if self.translator else [],
        }

    async def closed(self, conn: Connection) -> None:
        """The socket is gone: tell the room the student is reconnecting, and that they left after a grace."""
        pid, session_id, room_id = conn.participant_id, conn.session_id, conn.room_id
        await self.hub.detach(conn)
        if pid is None or session_id is None or self.hub.participants.get(pid) is not None:
            return
        if room_id is not None:
            await self._safe_publish(
                session_id, room_id, {"type": "presence", "room": room_id, "participant": pid, "state": "reconnecting"}
            )
        await self.hub.retain_session(session_id)
        loop = asyncio.get_running_loop()
        self._away[pid] = loop.call_later(
            self.config.reconnect_grace, lambda: self._spawn(self._gone(pid, session_id, room_id))
        )

    async def _gone(self, pid: int, session_id: int, room_id: int | None) -> None:
        try:
            self._away.pop(pid, None)
            if pid in self.hub.participants:
                return
            if room_id is None:
                await self.db.run(_leave_lobby, pid)  # gone from the lobby: not paired until they come back
                return
            await self.db.run(mark_left, pid)
            self.moderator.forget_participant(pid)
            self._limiter.forget(pid)
            await self._safe_publish(
                session_id, room_id, {"type": "presence", "room": room_id, "participant": pid, "state": "left"}
            )
            if not await self.db.run(_room_seat, room_id):
                await self.db.run(return_to_lobby, [], room_id)  # everyone has gone: close the empty room
                return
            seat_members = [c for c in self.hub.rooms.get(room_id, ()) if c.participant_id != pid]
            if len(seat_members) == 1:
                await self.hub.to_room(session_id, room_id, {"type": "event", "event": "partner_left", "room": room_id})
                await asyncio.sleep(self.config.repair_grace)
                await self.repair_if_alone(session_id, room_id)
        finally:
            await self.hub.release_session(session_id)

    async def repair_if_alone(self, session_id: int, room_id: int) -> None:
        """Return a student left alone in a room to the lobby so they are paired again."""
        seat = await self.db.run(_room_seat, room_id)
        if len(seat) != 1:
            return
        async with self.lobby.lock(session_id):
            moved = await self.db.run(return_to_lobby, seat, room_id)
            for pid in moved:
                await self.hub.to_participant(session_id, pid, {"type": "event", "event": "repairing", "room": room_id})
        if moved:
            self.lobby.request(session_id)

    # -- frames -----------------------------------------------------------------------------------

    async def handle(self, conn: Connection, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "send":
            await self.send(conn, frame)
        elif kind == "typing":
            await self.typing(conn)
        elif kind == "resume":
            await self._send_history(conn, get_int(frame, "last_id") or 0)
        elif kind == "report":
            await self.report(conn, frame)
        elif kind == "ping":
            conn.send('{"type":"pong"}')
        elif kind == "hello":
            raise FrameError("bad_frame", "already authenticated")
        else:
            raise FrameError("unknown_type")

    async def send(self, conn: Connection, frame: dict[str, Any]) -> None:
        send = parse_send(frame)
        cid = send.client_id
        if conn.room_id is None or conn.session_id is None or conn.participant_id is None:
            raise FrameError("not_in_room")
        if conn.paused:
            conn.send(_dump(error_frame("session_paused", cid)))
            return
        if len(send.text) > self.config.max_message_chars:
            conn.send(_dump(error_frame("too_long", cid, max_chars=self.config.max_message_chars)))
            return
        now_dt = utcnow()
        if conn.muted_until is not None and conn.muted_until > now_dt:
            conn.send(_dump(error_frame("muted", cid, until=iso(conn.muted_until))))
            return
        if not self._limiter.hit(conn.participant_id):
            conn.send(_dump(error_frame("rate_limited", cid)))
            return
        now = time.monotonic()
        if conn.slow_mode_seconds and now - conn.last_sent < conn.slow_mode_seconds:
            wait = conn.slow_mode_seconds - (now - conn.last_sent)
            conn.send(_dump(error_frame("slow_mode", cid, retry_after=round(wait, 1))))
            return
        language = send.language or (conn.languages[0] if conn.languages else None)
        sent_at = time.time()
        context = MessageContext(
            text=send.text,
            language=language,
            participant_id=conn.participant_id,
            room_id=conn.room_id,
            session_id=conn.session_id,
            sent_at=sent_at,
        )
        outcome = await self.moderator_for(conn.session_id).moderate(context)
        state = _STATE_FOR_ACTION[outcome.action]
        if (
            self.translator is not None
            and send.language is None
            and state in (ModerationState.VISIBLE, ModerationState.MASKED)
        ):
            language = self.translator.detect(outcome.text, conn.languages, language)
        message = Message(
            room_id=conn.room_id,
            participant_id=conn.participant_id,
            client_msg_id=cid,
            text=outcome.text,
            original_text=send.text if outcome.text != send.text else None,
            language=language,
            state=state,
            reason=outcome.reason,
            created_at=now_dt,  # given, so pydantic skips inspecting the default factory (80 -> 46 µs a message)
        )
        try:
            written = await self.writer.write(message)
        except WriteFailed:
            conn.send(_dump(error_frame("unavailable", cid)))
            return
        stored = written.message
        conn.last_sent = now
        ack: dict[str, Any] = {"type": "ack", "client_id": cid, "id": stored.id, "ts": iso(stored.created_at)}
        ack["state"] = stored.state.value
        if stored.state != ModerationState.VISIBLE:
            ack["reason"] = stored.reason
            ack["notice"] = plain_reason(stored.reason)
        if stored.state == ModerationState.MASKED:
            ack["text"] = stored.text
        conn.send(_dump(ack))
        if written.duplicate:
            return
        await self._deliver(conn, stored, sent_at)

    async def _deliver(self, conn: Connection, stored: Message, sent_at: float) -> None:
        assert conn.session_id is not None
        assert conn.room_id is not None
        sender = {"id": conn.participant_id, "name": conn.display_name, "country": conn.country}
        if stored.state in (ModerationState.VISIBLE, ModerationState.MASKED):
            await self.deliver(conn.session_id, stored, sender, sent_at)
        elif stored.state == ModerationState.HELD:
            await self.hub.to_watchers(conn.session_id, {"type": "flagged", "message": _queue_item(stored, conn)})

    async def deliver(self, session_id: int, stored: Message, sender: dict[str, Any] | None, sent_at: float) -> None:
        """Publish a stored, visible message to its room, then translate it (also used when a facilitator releases)."""
        await self._safe_publish(session_id, stored.room_id, message_frame(stored, sender))
        if self.translator is not None and stored.kind == MessageKind.CHAT:
            self._spawn(self.translator.translate_message(session_id, stored, sender, sent_at))

    async def typing(self, conn: Connection) -> None:
        if conn.room_id is None or conn.session_id is None:
            raise FrameError("not_in_room")
        now = time.monotonic()
        if now - conn.last_typing < 2.0:
            return
        conn.last_typing = now
        await self._safe_publish(
            conn.session_id, conn.room_id, {"type": "typing", "room": conn.room_id, "from": conn.participant_id}
        )

    async def report(self, conn: Connection, frame: dict[str, Any]) -> None:
        message_id = get_int(frame, "message_id")
        reason = get_str(frame, "reason", max_len=40) or ""
        note = get_str(frame, "note", required=False, max_len=500) or ""
        if reason not in REPORT_REASONS:
            raise FrameError("bad_frame", f"'reason' must be one of {sorted(REPORT_REASONS)}")
        if conn.room_id is None or conn.participant_id is None or conn.session_id is None:
            raise FrameError("not_in_room")
        report = await self.db.run(_store_report, message_id, conn.room_id, conn.participant_id, reason, note)
        if report is None:
            raise FrameError("unknown_message")
        conn.send(_dump({"type": "reported", "message_id": message_id}))
        for listener in self.report_listeners:
            if report.id is not None:
                self._spawn(listener(report.id))
        await self.hub.to_watchers(
            conn.session_id,
            {
                "type": "report",
                "report": {"id": report.id, "message_id": message_id, "reason": reason, "room": conn.room_id},
            },
        )

    async def _send_history(self, conn: Connection, last_id: int) -> None:
        if conn.room_id is None:
            return
        messages, names = await self.db.run(_history_with_senders, conn.room_id, last_id)
        for message in messages:
            sender = names.get(message.participant_id) if message.participant_id is not None else None
            conn.send(_dump(message_frame(message, sender)))
        conn.send(_dump({"type": "resumed", "room": conn.room_id, "last_id": messages[-1].id if messages else last_id}))
        if self.translator is not None and conn.session_id is not None:
            for message in messages:
                if message.kind == MessageKind.CHAT and message.participant_id != conn.participant_id:
                    self._spawn(self.translator.translate_for(conn, message))

    # -- helpers ----------------------------------------------------------------------------------

    def _apply_control(self, conn: Connection, frame: dict[str, Any]) -> None:
        """Keep a socket's cached state in step with facilitator actions broadcast through the broker."""
        if frame.get("type") == "paired":
            room = frame.get("room") or {}
            self.hub.move(conn, room.get("id"))
            conn.slow_mode_seconds = int(room.get("slow_mode", 0))
            return
        if frame.get("type") != "event":
            return
        event = frame.get("event")
        if event == "muted":
            conn.muted_until = datetime.fromisoformat(str(frame["until"]))
        elif event == "unmuted":
            conn.muted_until = None
        elif event == "slow_mode":
            conn.slow_mode_seconds = int(frame.get("seconds", 0))
        elif event in ("room_closed", "repairing", "moved_out"):
            self.hub.move(conn, None)
        elif event in ("removed", "banned"):
            self.hub.move(conn, None)
            conn.close(CLOSE_FORBIDDEN, str(event))
        elif event == "session_closed":
            conn.close(CLOSE_SESSION_ENDED, "session_closed")
        elif event == "session_paused":
            conn.paused = True
        elif event in ("session_resumed", "session_opened"):
            conn.paused = False

    def _broker_status(self, healthy: bool) -> None:
        if not healthy:
            self._outage_since = self._outage_since or utcnow()
        elif self._outage_since is not None:
            since, self._outage_since = self._outage_since, None
            self._spawn(self._replay_since(since - timedelta(seconds=2)))

    async def _replay_since(self, since: datetime) -> None:
        """After a broker outage, re-send what other processes stored meanwhile: live fan-out could not carry it.

        Only messages this process has not fanned out yet are sent, so nobody gets one twice.
        """
        for room_id, members in list(self.hub.rooms.items()):
            messages, names = await self.db.run(_room_messages_since, room_id, since)
            for message in messages:
                if message.id is None or not self.hub.first_sight(room_id, message.id):
                    continue  # delivered here already
                sender = names.get(message.participant_id) if message.participant_id is not None else None
                text = _dump(message_frame(message, sender))
                for conn in list(members):
                    conn.send(text)

    async def _safe_publish(self, session_id: int, room_id: int, frame: dict[str, Any]) -> None:
        from rooms.broker import BrokerUnavailable

        try:
            await self.hub.to_room(session_id, room_id, frame)
        except BrokerUnavailable:
            pass  # delivered locally; remote members catch up via resume

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for handle in self._away.values():
            handle.cancel()
        self._away.clear()
        for task in list(self._tasks):
            task.cancel()


def _dump(frame: dict[str, Any]) -> str:
    from rooms.protocol import dumps

    return dumps(frame)


def _queue_item(message: Message, conn: Connection) -> dict[str, Any]:
    return {
        "id": message.id,
        "room": message.room_id,
        "from": {"id": conn.participant_id, "name": conn.display_name, "country": conn.country},
        "text": message.original_text or message.text,
        "lang": message.language,
        "reason": message.reason,
        "ts": iso(message.created_at),
    }


def _rejoin_waiting(db: Any, participant_id: int) -> None:
    from rooms.models import Participant

    participant = db.get(Participant, participant_id)
    if participant is not None and participant.status in (ParticipantStatus.AWAY, ParticipantStatus.LEFT):
        participant.status = ParticipantStatus.WAITING
        participant.waiting_since = utcnow()
        db.add(participant)
        db.commit()


def _leave_lobby(db: Any, participant_id: int) -> None:
    from rooms.models import Participant

    participant = db.get(Participant, participant_id)
    if participant is not None and participant.status == ParticipantStatus.WAITING:
        participant.status = ParticipantStatus.AWAY
        participant.waiting_since = None
        db.add(participant)
        db.commit()


def _room_seat(db: Any, room_id: int) -> list[int]:
    from rooms.store import room_members

    return [p.id for p in room_members(db, room_id) if p.id is not None]


def _store_report(db: Any, message_id: int, room_id: int, reporter_id: int, reason: str, note: str) -> Report | None:
    message = db.get(Message, message_id)
    if message is None or message.room_id != room_id:
        return None
    report = Report(message_id=message_id, reporter_id=reporter_id, reason=reason, note=note)
    db.add(report)
    db.commit()
    db.refresh(report)
    return report


def _room_messages_since(db: Any, room_id: int, since: datetime) -> tuple[list[Message], dict[int, dict[str, Any]]]:
    return _with_senders(db, history_since(db, room_id, since))


def _history_with_senders(db: Any, room_id: int, last_id: int) -> tuple[list[Message], dict[int, dict[str, Any]]]:
    return _with_senders(db, history(db, room_id, last_id))


def _with_senders(db: Any, messages: list[Message]) -> tuple[list[Message], dict[int, dict[str, Any]]]:
    from rooms.models import Participant

    ids = {m.participant_id for m in messages if m.participant_id is not None}
    names: dict[int, dict[str, Any]] = {}
    for pid in ids:
        p = db.get(Participant, pid)
        if p is not None:
            names[pid] = {"id": p.id, "name": p.display_name, "country": p.country}
    return messages, names
