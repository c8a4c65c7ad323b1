"""Blocking queries of the live core, run through ``Database.run`` in worker threads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from rooms.models import (
    ExchangeSession,
    Message,
    MessageData,
    ModerationAction,
    ModerationState,
    Participant,
    Report,
    Room,
    RoomMember,
    number_messages,
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
    return load_seats(db, [participant_id])[0]


def load_seats(db: Session, participant_ids: list[int]) -> list[Seat | None]:
    """``load_seat`` for many sockets at once (``BatchedCalls``): one query for the students, one per session and
    room among them."""
    people = {p.id: p for p in db.exec(BY_IDS, params={"ids": list(set(participant_ids))})}
    sessions: dict[int, ExchangeSession | None] = {}
    rooms: dict[int, list[Participant]] = {}
    seats: list[Seat | None] = []
    for pid in participant_ids:
        participant = people.get(pid)
        if participant is None:
            seats.append(None)
            continue
        if participant.session_id not in sessions:  # a burst's students share one or two sessions
            sessions[participant.session_id] = db.get(ExchangeSession, participant.session_id)
        exchange_session = sessions[participant.session_id]
        if exchange_session is None:
            seats.append(None)
            continue
        room = db.get(Room, participant.room_id) if participant.room_id is not None else None
        if room is not None and room.id is not None and room.id not in rooms:
            rooms[room.id] = room_members(db, room.id)
        members = list(rooms[room.id]) if room is not None and room.id is not None else []
        seats.append(Seat(participant, exchange_session, room, members))
    return seats


# Built once, bound per call (``params={"ids": [...]}``): building the statement cost as much as running it.
BY_IDS = select(Participant).where(col(Participant.id).in_(bindparam("ids", expanding=True)))


def students(db: Session, participant_ids: list[int]) -> list[Participant]:
    """These participants as stored now, by id (what the console is told after a change)."""
    if not participant_ids:
        return []
    return list(
        db.exec(select(Participant).where(col(Participant.id).in_(participant_ids)).order_by(col(Participant.id)))
    )


def room_members(db: Session, room_id: int) -> list[Participant]:
    rows = db.exec(
        select(Participant)
        .join(RoomMember, col(RoomMember.participant_id) == col(Participant.id))
        .where(RoomMember.room_id == room_id, col(RoomMember.left_at).is_(None))
        .order_by(col(Participant.id))
    )
    return list(rows)


def history(db: Session, room_id: int, after_seq: int, limit: int = 500) -> list[Message]:
    """Deliverable messages of a room after position ``after_seq``, in position order (the catch-up query)."""
    rows = db.exec(
        select(Message)
        .where(Message.room_id == room_id, col(Message.seq) > after_seq, col(Message.state).in_(DELIVERABLE))
        .order_by(col(Message.seq))
        .limit(limit)
    )
    return list(rows)


def catch_up_page(db: Session, room_id: int, after_seq: int, limit: int) -> tuple[list[Message], Senders, int]:
    """One page of a catch-up: messages after ``after_seq``, their senders, and the room's newest position."""
    room = db.get(Room, room_id)
    messages, names = with_senders(db, history(db, room_id, after_seq, limit))
    return messages, names, room.last_seq if room is not None else 0


def position_of(db: Session, room_id: int, last_id: int) -> int:
    """The room position a client that names its last message by id (protocol v1 before positions) is at."""
    if last_id <= 0:
        return 0
    named = db.get(Message, last_id)
    if named is not None and named.room_id == room_id and named.seq is not None:
        return named.seq  # the message the client saw last: exact
    found = db.exec(
        select(func.max(col(Message.seq))).where(Message.room_id == room_id, col(Message.id) <= last_id)
    ).one()
    return int(found or 0)


def sequence_released(db: Session, message: MessageData) -> MessageData:
    """A held message made visible now takes the room's next position, so clients past its old place get it."""
    stored = db.get(Message, message.id, populate_existing=True)
    if stored is None or stored.seq is not None or stored.state not in DELIVERABLE:
        return stored or message
    number_messages(db.connection(), [stored])
    db.add(stored)
    db.commit()
    return stored


def room_seat(db: Session, room_id: int) -> list[int]:
    """Ids of the participants in a room now."""
    return [p.id for p in room_members(db, room_id) if p.id is not None]


Senders = dict[int, dict[str, Any]]


def with_senders(db: Session, messages: list[Message]) -> tuple[list[Message], Senders]:
    """Messages plus the public view of each sender, for message frames."""
    names: Senders = {}
    for pid in {m.participant_id for m in messages if m.participant_id is not None}:
        p = db.get(Participant, pid)
        if p is not None:
            names[pid] = {"id": p.id, "name": p.display_name, "country": p.country}
    return messages, names


def store_report(
    db: Session, message_id: int, room_id: int, reporter_id: int, reason: str, note: str
) -> tuple[Report, bool] | None:
    """A student's report of a message in their own room, and whether it is new (None: no such message there)."""
    message = db.get(Message, message_id)
    if message is None or message.room_id != room_id:
        return None
    earlier = db.exec(select(Report).where(Report.message_id == message_id, Report.reporter_id == reporter_id)).first()
    if earlier is not None:
        return earlier, False  # one report per student and message: a repeat changes nothing, alerts no one
    report = Report(message_id=message_id, reporter_id=reporter_id, reason=reason, note=note)
    db.add(report)
    db.commit()
    db.refresh(report)
    return report, True


def store_alert(db: Session, message_id: int, participant_id: int, code: str) -> Report:
    """A safeguarding alert raised by moderation about a student's own message (a disclosure): kept as a report
    by the writer, so it reaches the moderation queue and the safeguarding contacts like any report."""
    report = Report(message_id=message_id, reporter_id=participant_id, reason=code, note="raised by moderation")
    db.add(report)
    db.commit()
    db.refresh(report)
    return report


def removed_pairs(db: Session, session_id: int) -> dict[int, set[int]]:
    """Who may never be paired with whom again: a student removed from a room and that room's other members.

    Read from the audit log (``remove`` rows), which every removal writes in the same transaction.
    """
    rows = db.exec(
        select(ModerationAction.participant_id, ModerationAction.room_id).where(
            ModerationAction.session_id == session_id, ModerationAction.action == "remove"
        )
    ).all()
    apart: dict[int, set[int]] = {}
    for pid, room_id in rows:
        if pid is None or room_id is None:
            continue
        others = db.exec(
            select(RoomMember.participant_id).where(RoomMember.room_id == room_id, RoomMember.participant_id != pid)
        ).all()
        for other in others:
            apart.setdefault(pid, set()).add(other)
            apart.setdefault(other, set()).add(pid)
    return apart
