"""The session lobby: turns the waiting pool into rooms with the pairing engine and tells each student."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlmodel import Session, col, select

from rooms.clock import utcnow
from rooms.database import Database
from rooms.hub import Hub
from rooms.models import ExchangeSession, Participant, ParticipantStatus, Room, RoomMember, RoomStatus, SessionStatus
from rooms.pairing import Candidate, PairingRules, pair_participants

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FormedRoom:
    room_id: int
    members: list[Participant]


def member_view(p: Participant) -> dict[str, object]:
    """What other students may see of a participant: pseudonym, country, languages. Nothing else."""
    return {"id": p.id, "name": p.display_name, "country": p.country, "languages": list(p.languages)}


def room_view(room_id: int, members: list[Participant], slow_mode: int = 0) -> dict[str, object]:
    return {"id": room_id, "members": [member_view(m) for m in members], "slow_mode": slow_mode}


class Lobby:
    """Pairs waiting students of live sessions. Safe across processes: a claim only succeeds on waiting rows."""

    def __init__(self, db: Database, hub: Hub, lone_wait_seconds: float = 30.0) -> None:
        self._db = db
        self._hub = hub
        self._lone_wait = lone_wait_seconds
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()  # sessions that got requests while their pass was running
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def request(self, session_id: int, delay: float = 0.2) -> None:
        """Pair soon: arrivals within ``delay`` are paired together, which gives better mixes."""
        if session_id in self._pending:
            self._again.add(session_id)
            return
        self._pending[session_id] = asyncio.create_task(self._later(session_id, delay))

    async def _later(self, session_id: int, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            while True:
                self._again.discard(session_id)
                await self.pair_now(session_id)
                if session_id not in self._again:
                    break
                await asyncio.sleep(delay)  # batch the late arrivals too
        except Exception:
            log.exception("pairing session %s failed", session_id)
        finally:
            self._pending.pop(session_id, None)

    def lock(self, session_id: int) -> asyncio.Lock:
        """Hold this while returning students to the pool and telling them, so no pass pairs them in between."""
        return self._locks[session_id]

    async def pair_now(self, session_id: int) -> list[FormedRoom]:
        async with self._locks[session_id]:
            formed = await self._db.run(_pair_session, session_id, self._lone_wait)
        for room in formed:
            view = room_view(room.room_id, room.members)
            for member in room.members:
                assert member.id is not None
                await self._hub.to_participant(session_id, member.id, {"type": "paired", "room": view})
            await self._hub.to_watchers(session_id, {"type": "room_opened", "room": view})
        return formed

    async def aclose(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()


def _past_partners(db: Session, participant_ids: list[int]) -> dict[int, set[int]]:
    if not participant_ids:
        return {}
    mine = select(RoomMember.room_id, RoomMember.participant_id).where(
        col(RoomMember.participant_id).in_(participant_ids)
    )
    rooms_of: dict[int, list[int]] = defaultdict(list)
    for room_id, pid in db.exec(mine):
        rooms_of[room_id].append(pid)
    partners: dict[int, set[int]] = defaultdict(set)
    if not rooms_of:
        return partners
    everyone = select(RoomMember.room_id, RoomMember.participant_id).where(col(RoomMember.room_id).in_(rooms_of))
    for room_id, other in db.exec(everyone):
        for pid in rooms_of[room_id]:
            if other != pid:
                partners[pid].add(other)
    return partners


def _pair_session(db: Session, session_id: int, lone_wait: float) -> list[FormedRoom]:
    exchange_session = db.get(ExchangeSession, session_id)
    if exchange_session is None or exchange_session.status != SessionStatus.LIVE:
        return []
    waiting = list(
        db.exec(
            select(Participant).where(
                Participant.session_id == session_id,
                Participant.status == ParticipantStatus.WAITING,
                col(Participant.banned).is_(False),
            )
        )
    )
    if not waiting:
        return []
    by_id = {p.id: p for p in waiting}
    if len(waiting) == 1:
        return _seat_lone_student(db, exchange_session, waiting[0], lone_wait)
    partners = _past_partners(db, [p.id for p in waiting if p.id is not None])
    candidates = [
        Candidate(
            participant_id=p.id,
            country=p.country,
            languages=tuple(p.languages),
            class_id=p.class_id,
            waiting_since=(p.waiting_since or p.joined_at).timestamp(),
            past_partners=frozenset(partners.get(p.id, ())),
        )
        for p in waiting
        if p.id is not None
    ]
    rules = PairingRules(room_size=exchange_session.room_size, max_per_class=exchange_session.max_per_class)
    groups = pair_participants(candidates, rules)
    formed: list[FormedRoom] = []
    for group in groups:
        members = [by_id[pid] for pid in group]
        room = Room(session_id=session_id)
        db.add(room)
        db.flush()
        assert room.id is not None
        claimed = _claim(db, room.id, members)
        if not claimed:
            db.rollback()
            return formed
        db.commit()
        formed.append(FormedRoom(room.id, members))
    return formed


def _claim(db: Session, room_id: int, members: list[Participant]) -> bool:
    """Move waiting participants into ``room_id``; fail if another process took one of them first."""
    from sqlalchemy import update

    ids = [m.id for m in members]
    result = db.execute(
        update(Participant)
        .where(col(Participant.id).in_(ids), col(Participant.status) == ParticipantStatus.WAITING)
        .values(status=ParticipantStatus.PAIRED, room_id=room_id, waiting_since=None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != len(ids):
        return False
    for member in members:
        assert member.id is not None
        db.add(RoomMember(room_id=room_id, participant_id=member.id))
        member.status, member.room_id = ParticipantStatus.PAIRED, room_id
    return True


def _seat_lone_student(
    db: Session, exchange_session: ExchangeSession, student: Participant, lone_wait: float
) -> list[FormedRoom]:
    """Nobody else is waiting: after a while, join the smallest open room with another country (a room of 3)."""
    since = student.waiting_since or student.joined_at
    if utcnow() - since < timedelta(seconds=lone_wait):
        return []
    rooms = db.exec(
        select(Room)
        .where(Room.session_id == exchange_session.id, Room.status == RoomStatus.OPEN)
        .order_by(col(Room.id))
    ).all()
    best: tuple[int, Room, list[Participant]] | None = None
    from rooms.store import room_members

    for room in rooms:
        assert room.id is not None
        members = room_members(db, room.id)
        if not members or len(members) >= exchange_session.room_size + 1:
            continue
        score = len(members) * 2 + (0 if any(m.country != student.country for m in members) else 1)
        if best is None or score < best[0]:
            best = (score, room, members)
    if best is None:
        return []
    _, room, members = best
    assert room.id is not None
    if not _claim(db, room.id, [student]):
        db.rollback()
        return []
    db.commit()
    return [FormedRoom(room.id, [*members, student])]
