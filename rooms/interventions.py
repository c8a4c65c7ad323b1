"""Facilitator interventions on room membership: remove, ban, erase, move, close a room, re-pair everyone.

Part of the lifecycle's state owner with ``rooms.membership`` (whose helpers these use): each checks the
transition applies (``Refused`` otherwise), applies it, lets the caller add its audit row to the same
transaction (``record``) and commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from rooms.clock import utcnow
from rooms.membership import (
    IN_SESSION,
    Change,
    Move,
    Refused,
    close_if_empty,
    end_seat,
    in_room,
    open_room,
    return_members,
    student,
)
from rooms.models import Participant, ParticipantStatus, Room, RoomMember, RoomStatus
from rooms.store import room_members

T = TypeVar("T")


def remove(db: Session, session_id: int, pid: int, record: Callable[[Session, Change], object] | None) -> Change:
    """Out of the room and back to the waiting pool (never re-paired with the members of that room)."""
    participant = student(db, session_id, pid)
    if participant.room_id is None or participant.status != ParticipantStatus.PAIRED:
        raise Refused(409, "This student is not in a room.")
    change = end_seat(db, participant)
    participant.status, participant.waiting_since = ParticipantStatus.WAITING, utcnow()
    db.add(participant)
    if change.room_id is not None and not change.remaining:
        close_if_empty(db, change.room_id)
    if record is not None:
        record(db, change)
    db.commit()
    return change


def ban(db: Session, session_id: int, pid: int, record: Callable[[Session, Change], object] | None) -> Change:
    participant = student(db, session_id, pid)
    if participant.banned:
        raise Refused(409, "This student is already banned from the session.")
    change = end_seat(db, participant)
    participant.banned, participant.status, participant.waiting_since = True, ParticipantStatus.REMOVED, None
    db.add(participant)
    if change.room_id is not None and not change.remaining:
        close_if_empty(db, change.room_id)
    if record is not None:
        record(db, change)
    db.commit()
    return change


def erase(db: Session, session_id: int, pid: int, record: Callable[[Session, Change], T]) -> tuple[Change, T]:
    """Data erasure ends the student's part in the session; ``record`` replaces their data in the same commit."""
    participant = student(db, session_id, pid)
    change = end_seat(db, participant)
    participant.status, participant.muted_until, participant.waiting_since = ParticipantStatus.REMOVED, None, None
    participant.token_nonce = secrets.token_hex(8)
    db.add(participant)
    if change.room_id is not None and not change.remaining:
        close_if_empty(db, change.room_id)
    result = record(db, change)
    db.commit()
    return change, result


def move(db: Session, session_id: int, pid: int, target: int, record: Callable[[Session, Change], object]) -> Move:
    """Seat a student in another open room. Two facilitators moving one student at once: the first wins (409)."""
    participant = student(db, session_id, pid)
    room = open_room(db, session_id, target)
    if room.status != RoomStatus.OPEN:
        raise Refused(404, "No such open room in this session.")
    if participant.banned or participant.status not in IN_SESSION:
        raise Refused(409, "This student is not in the session any more.")
    if participant.room_id == target:
        raise Refused(409, "The student is already in that room.")
    old = participant.room_id
    seated = db.execute(  # guarded on the room they were in when read, so a concurrent move cannot both win
        update(Participant)
        .where(col(Participant.id) == pid, in_room(old))
        .values(room_id=target, status=ParticipantStatus.PAIRED, waiting_since=None)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], seated).rowcount:
        db.rollback()
        raise Refused(409, "The student was moved meanwhile; reload the console.")
    now = utcnow()
    remaining: list[int] = []
    if old is not None:
        left = db.get(RoomMember, (old, pid))
        if left is not None and left.left_at is None:
            left.left_at = now
            db.add(left)
    member = db.get(RoomMember, (target, pid)) or RoomMember(room_id=target, participant_id=pid)
    member.left_at, member.joined_at = None, now
    db.add(member)
    db.flush()
    if old is not None:
        remaining = [p.id for p in room_members(db, old) if p.id is not None]
        if not remaining:
            close_if_empty(db, old)
    change = Change(pid, participant.display_name, old, remaining)
    record(db, change)
    db.commit()
    return Move(change, target, room_members(db, target), room.slow_mode_seconds)


def close_room(db: Session, session_id: int, room_id: int, record: Callable[[Session, Change], object]) -> list[int]:
    """Close a room; its members wait to be paired again. Returns who was in it."""
    open_room(db, session_id, room_id)
    closed = db.execute(
        update(Room)
        .where(col(Room.id) == room_id, col(Room.status) == RoomStatus.OPEN)
        .values(status=RoomStatus.CLOSED, closed_at=utcnow())
    )
    if not cast(CursorResult[Any], closed).rowcount:
        db.rollback()
        raise Refused(409, "This room is already closed.")
    members = [p.id for p in room_members(db, room_id) if p.id is not None]
    return_members(db, members, room_id)
    record(db, Change(0, "", room_id, members))
    db.commit()
    return members


def empty_rooms(db: Session, session_id: int, record: Callable[[Session, int], object]) -> list[tuple[int, list[int]]]:
    """Close every open room of the session and put everyone paired back in the waiting pool."""
    rooms = db.exec(select(Room.id).where(Room.session_id == session_id, Room.status == RoomStatus.OPEN)).all()
    moved: list[tuple[int, list[int]]] = []
    for room_id in rooms:
        assert room_id is not None
        members = [p.id for p in room_members(db, room_id) if p.id is not None]
        moved.append((room_id, return_members(db, members, room_id)))
        room = db.get(Room, room_id)
        if room is not None and room.status == RoomStatus.OPEN:  # someone not "paired" kept it open: close it
            room.status, room.closed_at = RoomStatus.CLOSED, utcnow()
            db.add(room)
    record(db, len(moved))
    db.commit()
    return moved
