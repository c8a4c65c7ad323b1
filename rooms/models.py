"""Live-session tables: sessions, participants (students), rooms, messages, reports, moderation audit."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Connection, Index, Table, UniqueConstraint, bindparam, event, text, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from rooms import _sqlite
from rooms.clock import utcnow


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    PAUSED = "paused"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ExchangeSession(SQLModel, table=True):
    __tablename__ = "exchange_session"

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    topic: str = Field(default="", max_length=300)
    prompts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    current_prompt: int = -1
    status: SessionStatus = SessionStatus.SCHEDULED
    # Copied from the exchange when scheduled, so the real-time core never reads app tables.
    title: str = Field(default="", max_length=200)
    room_size: int = 2
    max_per_class: int | None = None
    moderation: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    facilitator_id: int | None = Field(default=None, foreign_key="user.id")
    notice: str | None = Field(default=None, max_length=500)  # last reschedule/cancel notice
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (Index("ix_session_status_start", "status", "starts_at"),)


class ParticipantStatus(StrEnum):
    AWAY = "away"  # joined but not connected: never paired while away
    WAITING = "waiting"
    PAIRED = "paired"
    LEFT = "left"
    REMOVED = "removed"


class Participant(SQLModel, table=True):
    """A student in one session: a pseudonym and languages, deliberately no contact data."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="exchange_session.id", index=True)
    class_id: int = Field(foreign_key="school_class.id", index=True)
    display_name: str = Field(max_length=40)
    country: str = Field(max_length=2)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    token_nonce: str = Field(max_length=32)
    status: ParticipantStatus = ParticipantStatus.AWAY
    waiting_since: datetime | None = None
    last_seen: datetime | None = None  # a socket of theirs was last heard (rooms.presence)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    show_translations: bool = True
    muted_until: datetime | None = None
    banned: bool = False
    joined_at: datetime = Field(default_factory=utcnow)
    erased: bool = False

    __table_args__ = (UniqueConstraint("session_id", "display_name", name="uq_participant_name"),)


class RoomStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Room(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="exchange_session.id", index=True)
    status: RoomStatus = RoomStatus.OPEN
    slow_mode_seconds: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    # The room's newest message position; bumped in the transaction that makes one visible.
    last_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RoomMember(SQLModel, table=True):
    __tablename__ = "room_member"

    room_id: int = Field(foreign_key="room.id", primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", primary_key=True, index=True)
    joined_at: datetime = Field(default_factory=utcnow)
    left_at: datetime | None = None


class MessageKind(StrEnum):
    CHAT = "chat"
    ANNOUNCEMENT = "announcement"
    PROMPT = "prompt"
    SYSTEM = "system"


class ModerationState(StrEnum):
    VISIBLE = "visible"
    MASKED = "masked"
    HELD = "held"
    BLOCKED = "blocked"
    DELETED = "deleted"


class Message(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id")
    # No index of its own: uq_message_client_id starts with it, and each index is a page more to write a message.
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    client_msg_id: str | None = Field(default=None, max_length=64)
    kind: MessageKind = MessageKind.CHAT
    text: str
    original_text: str | None = None  # kept for audit when a hook masked the delivered text
    language: str | None = Field(default=None, max_length=8)
    state: ModerationState = ModerationState.VISIBLE
    reason: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    # The message's position in its room (docs/protocol.md "Delivery"): 1, 2, 3... in the order messages became
    # visible; None while held or blocked. Catch-up and resume read by (room_id, seq).
    seq: int | None = None

    __table_args__ = (
        UniqueConstraint("participant_id", "client_msg_id", name="uq_message_client_id"),
        Index("uq_message_room_seq", "room_id", "seq", unique=True),
        # Room history by id (exports, the console) scans (room_id, id).
        Index("ix_message_room_id_id", "room_id", "id"),
    )


class MessageData(Protocol):
    """A message as the writer, delivery and frames read it: a stored `Message`, or a `MessageRow` on its way in."""

    id: int | None
    room_id: int
    participant_id: int | None
    client_msg_id: str | None
    kind: MessageKind
    text: str
    original_text: str | None
    language: str | None
    state: ModerationState
    reason: str | None
    created_at: datetime
    seq: int | None


@dataclass(slots=True)
class MessageRow:
    """A student's message as plain data, built by the send path instead of a `Message`: the ORM object's
    validation and instrumented attributes cost far more than the message's own work (``rooms.writer`` inserts
    rows with Core and fills ``seq`` and ``id``; only its one-row fallback builds a `Message`)."""

    room_id: int
    participant_id: int | None
    client_msg_id: str | None
    text: str
    created_at: datetime
    original_text: str | None = None
    language: str | None = None
    state: ModerationState = ModerationState.VISIBLE
    reason: str | None = None
    kind: MessageKind = MessageKind.CHAT
    seq: int | None = None
    id: int | None = None


def as_row(message: MessageData) -> MessageRow:
    """A plain copy of ``message`` (to change without touching a stored object)."""
    return MessageRow(**{name: getattr(message, name) for name in _ROW_FIELDS})


_ROW_FIELDS = tuple(field.name for field in fields(MessageRow))


class Report(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    reporter_id: int = Field(foreign_key="participant.id")
    reason: str = Field(max_length=40)
    note: str = Field(default="", max_length=500)
    status: str = Field(default="open", max_length=16)  # open | handled
    created_at: datetime = Field(default_factory=utcnow)


class ModerationAction(SQLModel, table=True):
    """Audit log: who did what to which message or student, when and why. Never purged."""

    __tablename__ = "moderation_action"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int | None = Field(default=None, index=True)
    room_id: int | None = None
    message_id: int | None = None
    participant_id: int | None = None
    actor_user_id: int | None = None  # None = the automatic pipeline
    action: str = Field(max_length=32)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


# -- message positions -------------------------------------------------------------------------------------------
# A room's positions are handed out by one UPDATE of its row, in the transaction that makes messages visible.
# On PostgreSQL that row stays locked until the commit, so a later position can never commit before an earlier
# one, whichever process wrote it: when a reader sees position n, it can read every position below n too.

# The states a room sees: given a position and delivered (the pipeline reads this for every message).
SEQUENCED = frozenset({ModerationState.VISIBLE, ModerationState.MASKED})


_ROOM: Table = Room.__table__  # type: ignore[attr-defined]
# Built once, in Core: building the ORM statement per batch and room cost ~4x the database's own work.
_CLAIM = (
    update(_ROOM)
    .where(_ROOM.c.id == bindparam("room_id"))
    .values(last_seq=_ROOM.c.last_seq + bindparam("count"))
    .returning(_ROOM.c.last_seq)
)


# SQLite: on the sqlite3 connection itself (``rooms._sqlite``); at one message a batch this UPDATE through Core cost
# more than the row's INSERT and COMMIT together.
_CLAIM_SQLITE = "UPDATE room SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq"


def claim_positions(conn: Connection, room_id: int, count: int) -> int:
    """Reserve ``count`` consecutive positions in ``room_id`` (until the transaction ends); return the first."""
    if conn.dialect.name == "sqlite":
        last = _sqlite.execute(conn, _CLAIM_SQLITE, (count, room_id))[0][0]
    else:
        last = conn.execute(_CLAIM, {"room_id": room_id, "count": count}).scalar_one()
    return int(last) - count + 1


# PostgreSQL: a batch's rooms are locked in id order (one lock order for every writer, so two writers never
# deadlock), then all claimed in one UPDATE: two round trips per batch instead of one per room.
_LOCK_ROOMS = text("SELECT id FROM room WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")
_CLAIM_ROOMS = text(
    "UPDATE room SET last_seq = room.last_seq + claim.count"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:counts AS integer[])) AS claim(id, count)"
    " WHERE room.id = claim.id RETURNING room.id, room.last_seq"
)
# SQLite (one writer at a time, no lock order to keep): all of a batch's rooms in one UPDATE too, ~2 µs a room
# instead of ~4 for a statement each.
_CLAIM_ROOMS_SQLITE = (
    "UPDATE room SET last_seq = room.last_seq + json_extract(claim.value, '$[1]') FROM json_each(?) AS claim"
    " WHERE room.id = json_extract(claim.value, '$[0]') RETURNING room.id, room.last_seq"
)


def number_messages(conn: Connection, messages: Iterable[MessageData]) -> None:
    """Give each visible message without a position the next one of its room (rooms locked in id order)."""
    by_room: dict[int, list[MessageData]] = defaultdict(list)
    for message in messages:
        if message.seq is None and message.state in SEQUENCED:
            by_room[message.room_id].append(message)
    rooms = sorted(by_room)
    counts = [len(by_room[room_id]) for room_id in rooms]
    claimed: Iterable[Any] | None = None
    if len(rooms) > 1 and conn.dialect.name == "postgresql":
        conn.execute(_LOCK_ROOMS, {"ids": rooms})
        claimed = conn.execute(_CLAIM_ROOMS, {"ids": rooms, "counts": counts})
    elif len(rooms) > 1 and conn.dialect.name == "sqlite":
        claimed = _sqlite.execute(conn, _CLAIM_ROOMS_SQLITE, (json.dumps(list(zip(rooms, counts, strict=True))),))
    if claimed is not None:
        last = {int(room_id): int(seq) for room_id, seq in claimed}
        firsts = {room_id: last[room_id] - count + 1 for room_id, count in zip(rooms, counts, strict=True)}
    else:  # one room (or another database): one UPDATE per room, in id order
        firsts = {room_id: claim_positions(conn, room_id, count) for room_id, count in zip(rooms, counts, strict=True)}
    for room_id in rooms:
        first = firsts[room_id]
        for offset, message in enumerate(by_room[room_id]):
            message.seq = first + offset


@event.listens_for(OrmSession, "before_flush")
def _number_new_messages(session: OrmSession, _context: object, _instances: object) -> None:
    """Messages added through the ORM (announcements, prompts, single-row writes) are numbered like batches."""
    new = [obj for obj in session.new if isinstance(obj, Message)]
    if new:
        number_messages(session.connection(), new)
