"""Blocking queries of the live core, run through ``Database.run`` in worker threads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from rooms.clock import utcnow
from rooms.models import (
    ExchangeSession,
    Message,
    ModerationState,
    Participant,
    ParticipantStatus,
    Room,
    RoomMember,
    RoomStatus,
)

DELIVERABLE = (ModerationState.VISIBLE, ModerationState.MASKED)


@dataclass(frozen=True, slots=True)
class Seat:
    """Where a participant is now: their row, their session and (if paired) their room and its members."""

    participant: Participant
    session: ExchangeSession
    room: Room | None
    members: list[Participant]


def load_seat(db: Session, participant_id: int) -> Seat | None:
    participant = db.get(Participant, participant_id)
    if participant is None:
        return None
    exchange_session = db.get(ExchangeSession, participant.session_id)
    if exchange_session is None:
        return None
    room = db.get(Room, participant.room_id) if participant.room_id is not None else None
    members = room_members(db, room.id) if room is not None and room.id is not None else []
    return Seat(participant, exchange_session, room, members)


def room_members(db: Session, room_id: int) -> list[Participant]:
    rows = db.exec(
        select(Participant)
        .join(RoomMember, col(RoomMember.participant_id) == col(Participant.id))
        .where(RoomMember.room_id == room_id, col(RoomMember.left_at).is_(None))
        .order_by(col(Participant.id))
    )
    return list(rows)


def history(db: Session, room_id: int, after_id: int, limit: int = 500) -> list[Message]:
    """Deliverable messages of a room after ``after_id``, oldest first (the resume query)."""
    rows = db.exec(
        select(Message)
        .where(Message.room_id == room_id, col(Message.id) > after_id, col(Message.state).in_(DELIVERABLE))
        .order_by(col(Message.id))
        .limit(limit)
    )
    return list(rows)


def history_since(db: Session, room_id: int, since: datetime) -> list[Message]:
    """Deliverable messages of a room stored at or after ``since`` (replayed after a broker outage)."""
    rows = db.exec(
        select(Message)
        .where(Message.room_id == room_id, Message.created_at >= since, col(Message.state).in_(DELIVERABLE))
        .order_by(col(Message.id))
    )
    return list(rows)


def return_to_lobby(db: Session, participant_ids: list[int], room_id: int) -> list[int]:
    """End membership of ``room_id`` for these participants and put them back in the waiting pool."""
    now = utcnow()
    moved: list[int] = []
    for pid in participant_ids:
        member = db.get(RoomMember, (room_id, pid))
        if member is not None and member.left_at is None:
            member.left_at = now
            db.add(member)
        participant = db.get(Participant, pid)
        if participant is not None and participant.room_id == room_id and participant.status == "paired":
            participant.status = ParticipantStatus.WAITING
            participant.room_id = None
            participant.waiting_since = now
            db.add(participant)
            moved.append(pid)
    remaining = db.exec(
        select(RoomMember).where(RoomMember.room_id == room_id, col(RoomMember.left_at).is_(None))
    ).first()
    room = db.get(Room, room_id)
    if remaining is None and room is not None and room.status == RoomStatus.OPEN:
        room.status = RoomStatus.CLOSED
        room.closed_at = now
        db.add(room)
    db.commit()
    return moved


def mark_left(db: Session, participant_id: int) -> Participant | None:
    """A participant left for good (grace expired): leave their room; the partner may be re-paired."""
    participant = db.get(Participant, participant_id)
    if participant is None or participant.room_id is None:
        return participant
    room_id = participant.room_id
    member = db.get(RoomMember, (room_id, participant_id))
    if member is not None and member.left_at is None:
        member.left_at = utcnow()
        db.add(member)
    participant.status = ParticipantStatus.LEFT
    participant.room_id = None
    db.add(participant)
    db.commit()
    return participant
