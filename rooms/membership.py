"""Who is in which room: the only code that assigns participant status, room seats and ``RoomMember.left_at``.

Blocking functions run through ``Database.run``; each checks the transition is allowed, applies it, lets the
caller add its own rows to the same transaction (``record``: the facilitator audit row) and commits. The
transitions and what each member is told are in docs/protocol.md ("Room lifecycle"); ``rooms.lifecycle`` runs
these and tells the sockets.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from rooms.clock import utcnow
from rooms.models import Participant, ParticipantStatus, Room, RoomMember, RoomStatus
from rooms.store import BY_IDS, room_members

IN_SESSION = (ParticipantStatus.AWAY, ParticipantStatus.WAITING, ParticipantStatus.PAIRED)


class Refused(Exception):
    """The transition does not apply (no such student or room, already done, changed meanwhile); nothing changed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Change:
    """One student's transition: the room they were in (if any) and who is still in it."""

    participant_id: int
    name: str
    room_id: int | None
    remaining: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Move:
    change: Change
    target: int
    members: list[Participant]
    slow_mode: int


def student(db: Session, session_id: int, pid: int) -> Participant:
    participant = db.get(Participant, pid)
    if participant is None or participant.session_id != session_id:
        raise Refused(404, "No such student in this session.")
    return participant


def open_room(db: Session, session_id: int, room_id: int) -> Room:
    room = db.get(Room, room_id)
    if room is None or room.session_id != session_id:
        raise Refused(404, "No such room in this session.")
    return room


def end_seat(db: Session, participant: Participant) -> Change:
    """End the participant's membership of their room (not committed); who is still in it is returned."""
    assert participant.id is not None
    room_id = participant.room_id
    if room_id is None:
        return Change(participant.id, participant.display_name, None)
    member = db.get(RoomMember, (room_id, participant.id))
    if member is not None and member.left_at is None:
        member.left_at = utcnow()
        db.add(member)
    participant.room_id = None
    db.add(participant)
    db.flush()
    remaining = [p.id for p in room_members(db, room_id) if p.id is not None and p.id != participant.id]
    return Change(participant.id, participant.display_name, room_id, remaining)


def in_room(room_id: int | None) -> Any:
    return col(Participant.room_id).is_(None) if room_id is None else col(Participant.room_id) == room_id


def close_if_empty(db: Session, room_id: int) -> bool:
    """Close an open room nobody is in any more (not committed). True when it was closed now."""
    remaining = db.exec(
        select(RoomMember).where(RoomMember.room_id == room_id, col(RoomMember.left_at).is_(None))
    ).first()
    room = db.get(Room, room_id)
    if remaining is None and room is not None and room.status == RoomStatus.OPEN:
        room.status, room.closed_at = RoomStatus.CLOSED, utcnow()
        db.add(room)
        return True
    return False


# -- the student's own socket --------------------------------------------------------------------------------


def connected(db: Session, pid: int) -> Participant | None:
    """A socket was seated: someone away (or left after the grace) waits to be paired again.

    Returns the row as stored now, which the console is shown (no second read for it).
    """
    return connected_many(db, [pid])[0]


def connected_many(db: Session, pids: list[int]) -> list[Participant | None]:
    """``connected`` for sockets seated together, in one transaction (``BatchedCalls``); one row per pid, in order."""
    rows = {p.id: p for p in db.exec(BY_IDS, params={"ids": list(set(pids))})}
    now = utcnow()
    for participant in rows.values():
        if participant.status in (ParticipantStatus.AWAY, ParticipantStatus.LEFT):
            participant.status, participant.waiting_since = ParticipantStatus.WAITING, now
        participant.last_seen = now
        db.add(participant)
    db.commit()
    return [rows.get(pid) for pid in pids]


def seen(db: Session, pids: list[int]) -> None:
    """These students' sockets (on this process) answered lately."""
    db.execute(update(Participant).where(col(Participant.id).in_(pids)).values(last_seen=utcnow()))
    db.commit()


def unheard(db: Session, pid: int, heard_at: datetime) -> None:
    """A socket closed: its student was last heard at ``heard_at`` (a silent one, seconds before it was closed)."""
    db.execute(update(Participant).where(col(Participant.id) == pid).values(last_seen=heard_at))
    db.commit()


@dataclass(frozen=True, slots=True)
class Swept:
    """What a presence sweep changed: (session, student) now away from the pool; rooms left, as (session, change)."""

    away: list[tuple[int, int]]
    gone: list[tuple[int, Change]]


def stale(db: Session, cutoff: datetime) -> Swept:
    """Students no process has heard since ``cutoff`` (their server died with them): out of the pool and rooms."""
    unheard = (col(Participant.status) == ParticipantStatus.WAITING, col(Participant.last_seen) < cutoff)
    # Who is read first, to tell the console; one who came back meanwhile is not updated, and shown as they are.
    rows = db.exec(select(Participant.session_id, Participant.id).where(*unheard))
    away_now = [(sid, pid) for sid, pid in rows if pid is not None]
    if away_now:
        ids = [pid for _, pid in away_now]
        db.execute(
            update(Participant)
            .where(col(Participant.id).in_(ids), *unheard)
            .values(status=ParticipantStatus.AWAY, waiting_since=None)
        )
        db.commit()
    ghosts = db.exec(
        select(Participant.id, Participant.session_id).where(
            col(Participant.status) == ParticipantStatus.PAIRED, col(Participant.last_seen) < cutoff
        )
    ).all()
    gone_now: list[tuple[int, Change]] = []
    for pid, session_id in ghosts:
        change = gone(db, pid) if pid is not None else None
        if change is not None:
            gone_now.append((session_id, change))
    return Swept(away_now, gone_now)


def away(db: Session, pid: int) -> bool:
    """The socket of a waiting student is gone: never pair them until they are back. True when they were waiting."""
    result = db.execute(
        update(Participant)
        .where(col(Participant.id) == pid, col(Participant.status) == ParticipantStatus.WAITING)
        .values(status=ParticipantStatus.AWAY, waiting_since=None)
    )
    db.commit()
    return bool(cast(CursorResult[Any], result).rowcount)


def gone(db: Session, pid: int) -> Change | None:
    """A paired student stayed away past the reconnect grace: they leave the room (and may come back later)."""
    participant = db.get(Participant, pid)
    if participant is None or participant.room_id is None or participant.status != ParticipantStatus.PAIRED:
        return None
    change = end_seat(db, participant)
    participant.status = ParticipantStatus.LEFT
    db.add(participant)
    if change.room_id is not None and not change.remaining:
        close_if_empty(db, change.room_id)
    db.commit()
    return change


def leave(db: Session, pid: int, nonce: str) -> Change | None:
    """The student pressed Leave: out of the room and the session, and their token no longer opens a socket."""
    participant = db.get(Participant, pid)
    if participant is None or participant.token_nonce != nonce or participant.status not in IN_SESSION:
        return None
    change = end_seat(db, participant)
    participant.status, participant.waiting_since = ParticipantStatus.LEFT, None
    participant.token_nonce = secrets.token_hex(8)  # revokes every token issued so far
    db.add(participant)
    if change.room_id is not None and not change.remaining:
        close_if_empty(db, change.room_id)
    db.commit()
    return change


# -- the lobby -----------------------------------------------------------------------------------------------


def return_to_lobby(db: Session, participant_ids: list[int], room_id: int) -> list[int]:
    """End membership of ``room_id`` for these participants and put them back in the waiting pool."""
    moved = return_members(db, participant_ids, room_id)
    db.commit()
    return moved


def return_members(db: Session, participant_ids: list[int], room_id: int) -> list[int]:
    now = utcnow()
    moved: list[int] = []
    for pid in participant_ids:
        member = db.get(RoomMember, (room_id, pid))
        if member is not None and member.left_at is None:
            member.left_at = now
            db.add(member)
        participant = db.get(Participant, pid)
        if participant is not None and participant.room_id == room_id and participant.status == "paired":
            participant.status, participant.room_id, participant.waiting_since = ParticipantStatus.WAITING, None, now
            db.add(participant)
            moved.append(pid)
    db.flush()
    close_if_empty(db, room_id)
    return moved


# Built once: a pairing pass runs these for every room it forms, and building a statement costs more than running it.
_CLAIM = (
    update(Participant)
    .where(
        col(Participant.id).in_(bindparam("ids", expanding=True)), col(Participant.status) == ParticipantStatus.WAITING
    )
    .values(status=ParticipantStatus.PAIRED, room_id=bindparam("room_id"), waiting_since=None)
)
_NEW_ROOM = insert(Room)
_NEW_SEATS = insert(RoomMember)


def claim(db: Session, room_id: int, members: list[Participant], *, new_room: bool = False) -> bool:
    """Move waiting participants into ``room_id`` (not committed); fail if another process took one first.

    ``new_room``: the room was created in this transaction, so it has no seats to reuse: the seats are inserted
    in one statement instead of one lookup per member (a pairing pass of a 2,000-student burst seats ~2,000).
    """
    ids = [m.id for m in members]
    result = db.connection().execute(_CLAIM, {"ids": ids, "room_id": room_id})
    if result.rowcount != len(ids):
        return False
    now = utcnow()
    if new_room:
        seats = [{"room_id": room_id, "participant_id": i, "joined_at": now, "left_at": None} for i in ids]
        db.connection().execute(_NEW_SEATS, seats)
    for member in members:
        assert member.id is not None
        if not new_room:
            seat = db.get(RoomMember, (room_id, member.id)) or RoomMember(room_id=room_id, participant_id=member.id)
            seat.left_at, seat.joined_at = None, now  # back in a room they were in before: the same row
            db.add(seat)
        # The UPDATE above wrote these already: set them as loaded, or the commit's flush would write them again.
        for key, value in (("status", ParticipantStatus.PAIRED), ("room_id", room_id), ("waiting_since", None)):
            set_committed_value(member, key, value)
    return True


def open_new_room(db: Session, session_id: int, members: list[Participant]) -> int | None:
    """A new open room seating ``members`` (not committed); None if one was taken already (then roll back)."""
    inserted = db.connection().execute(_NEW_ROOM, {"session_id": session_id}).inserted_primary_key
    assert inserted is not None
    room_id = int(inserted[0])
    return room_id if claim(db, room_id, members, new_room=True) else None


def unseat_for_purge(db: Session, participant_ids: Sequence[int | None]) -> None:
    """Clear the seats of participants about to be deleted by retention (not committed), so rooms can go too."""
    db.execute(update(Participant).where(col(Participant.id).in_(participant_ids)).values(room_id=None))
