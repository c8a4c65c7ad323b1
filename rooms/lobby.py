"""The session lobby: turns the waiting pool into rooms with the pairing engine and tells each student.

Promises (docs/protocol.md, "Pairing"): only students whose socket is seated are in the pool (``waiting``); a
room of one country is formed only when everyone in it has waited ``cross_country_wait`` seconds without a
partner from another country arriving; a student removed from a room is never paired with its members again; a
student kept out of a pass so that it forms no room of one more waits at most ``odd_hold`` seconds for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from rooms import membership
from rooms.clock import utcnow
from rooms.database import Database
from rooms.hub import Hub
from rooms.models import ExchangeSession, Participant, ParticipantStatus, Room, RoomMember, RoomStatus, SessionStatus
from rooms.notices import Notices
from rooms.pairing import Candidate, PairingRules, pair_participants
from rooms.pairing_rules import odd_one_out
from rooms.store import removed_pairs, room_members

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LobbyConfig:
    cross_country_wait: float = 10.0  # hold a one-country room this long for a partner from another country
    same_country_rooms: bool = True  # after the wait: allow a room of one country (else keep waiting)
    stale_after: float = 12.0  # a socket of this process not heard from for this long is not paired
    odd_hold: float = 1.0  # a pool's odd student may be kept this long for a partner instead of a room of one more


@dataclass(frozen=True, slots=True)
class FormedRoom:
    room_id: int
    members: list[Participant]
    seq: int = 0  # the room's position when they were seated: a newcomer's feed starts after it (0: a new room)


@dataclass(slots=True)
class PassResult:
    formed: list[FormedRoom] = field(default_factory=list)
    retry_in: float | None = None  # seconds until a held student's wait is over
    told: list[int] = field(default_factory=list)  # held past the wait: tell them why they still wait
    kept: dict[int, float] = field(default_factory=dict)  # kept out of a pass (``odd_one_out``): until when, epoch s

    def again_in(self, seconds: float) -> None:
        self.retry_in = seconds if self.retry_in is None else min(self.retry_in, seconds)


class Lobby:
    """Pairs waiting students of live sessions. Safe across processes: a claim only succeeds on waiting rows."""

    def __init__(self, db: Database, hub: Hub, notices: Notices, config: LobbyConfig) -> None:
        self._db = db
        self._hub = hub
        self._notices = notices
        self._config = config
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()  # sessions that got requests while their pass was running
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._retry: dict[int, asyncio.TimerHandle] = {}
        self._kept: dict[int, dict[int, float]] = {}  # per session: who was kept out of a pass, until when

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

    def _stale(self) -> frozenset[int]:
        """Students whose socket here has not answered lately: possibly a closed lid; not paired until heard."""
        limit = time.monotonic() - self._config.stale_after
        return frozenset(pid for pid, conn in self._hub.participants.items() if conn.last_heard < limit)

    async def pair_now(self, session_id: int) -> list[FormedRoom]:
        async with self._locks[session_id]:
            kept = self._kept.pop(session_id, {})
            result = await self._db.run(_pair_session, session_id, self._config, self._stale(), kept)
            if result.kept:
                self._kept[session_id] = result.kept
        for room in result.formed:
            await self._notices.seated(session_id, room.room_id, room.members, seq=room.seq)
        for pid in result.told:
            await self._notices.event(session_id, pid, "waiting", reason="other_country")
        if result.retry_in is not None:
            self._schedule(session_id, result.retry_in)
        return result.formed

    def _schedule(self, session_id: int, delay: float) -> None:
        handle = self._retry.pop(session_id, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self._retry[session_id] = loop.call_later(max(delay, 0.05), self.request, session_id, 0.0)

    async def aclose(self) -> None:
        for handle in self._retry.values():
            handle.cancel()
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


def _pair_session(
    db: Session, session_id: int, config: LobbyConfig, stale: frozenset[int], kept: dict[int, float] | None = None
) -> PassResult:
    result = PassResult()
    exchange_session = db.get(ExchangeSession, session_id)
    if exchange_session is None or exchange_session.status != SessionStatus.LIVE:
        return result
    seen_since = utcnow() - timedelta(seconds=config.stale_after)  # no process heard them since: not paired
    waiting = [
        p
        for p in db.exec(
            select(Participant).where(
                Participant.session_id == session_id,
                Participant.status == ParticipantStatus.WAITING,
                col(Participant.banned).is_(False),
            )
        )
        if p.id not in stale and (p.last_seen is None or p.last_seen >= seen_since)
    ]
    if not waiting:
        return result
    by_id = {p.id: p for p in waiting}
    apart = removed_pairs(db, session_id)
    partners = _past_partners(db, [p.id for p in waiting if p.id is not None])
    now = utcnow()
    wait = timedelta(seconds=config.cross_country_wait)
    candidates = [
        Candidate(
            participant_id=p.id,
            country=p.country,
            languages=tuple(p.languages),
            class_id=p.class_id,
            waiting_since=(p.waiting_since or p.joined_at).timestamp(),
            past_partners=frozenset(partners.get(p.id, set()) | apart.get(p.id, set())),
        )
        for p in waiting
        if p.id is not None
    ]
    rules = PairingRules(room_size=exchange_session.room_size, max_per_class=exchange_session.max_per_class)
    # Who an earlier pass kept out, until when (epoch seconds); once that is over they are never kept out again.
    result.kept = {pid: until for pid, until in (kept or {}).items() if pid in by_id}
    now_s = now.timestamp()
    odd = odd_one_out(candidates, rules)
    if odd is not None and result.kept.setdefault(odd.participant_id, now_s + config.odd_hold) <= now_s:
        odd = None
    if odd is not None:
        candidates.remove(odd)
    groups = pair_participants(candidates, rules) if len(candidates) > 1 else []
    held: list[Participant] = [] if groups else waiting  # the engine places everyone once two are waiting
    if odd is not None:
        held.append(by_id[odd.participant_id])
    for group in groups:
        members = _apart(group, apart, by_id, held)
        one_country = len({m.country for m in members}) == 1
        waited = all(now - (m.waiting_since or m.joined_at) >= wait for m in members)
        if len(members) < 2 or (one_country and not (waited and config.same_country_rooms)):
            held.extend(members)
            continue
        room_id = membership.open_new_room(db, session_id, members)
        if room_id is None:
            db.rollback()  # another process took one of them: they stay waiting, the next pass sees the change
            continue
        db.commit()
        result.formed.append(_formed(db, room_id, members))
    for student in held:
        pid = student.id or 0
        left = ((student.waiting_since or student.joined_at) + wait - now).total_seconds()
        kept_for = result.kept.get(pid, now_s) - now_s
        if kept_for > 0 or (left > 0 and pid not in result.kept):
            result.again_in(kept_for if kept_for > 0 else left)
            continue
        # Their wait is over, or their hold is (kept out, they would have had a room of one more): a seat now.
        formed = _seat_third(
            db, exchange_session, student, (apart.get(pid, set()), partners.get(pid, set())), seen_since
        )
        if formed is not None:
            result.formed.append(formed)
        elif left > 0:
            result.again_in(left)
        elif student.id is not None:
            result.told.append(student.id)
    return result


def _apart(
    group: tuple[int, ...], apart: dict[int, set[int]], by_id: dict[int | None, Participant], held: list[Participant]
) -> list[Participant]:
    """The group without anyone removed from a room with a member kept before them (those wait: ``held``)."""
    kept: list[Participant] = []
    for pid in group:
        if apart.get(pid, set()) & {m.id for m in kept}:
            held.append(by_id[pid])
        else:
            kept.append(by_id[pid])
    return kept


def _seat_third(
    db: Session,
    exchange_session: ExchangeSession,
    student: Participant,
    people: tuple[set[int], set[int]],
    seen_since: datetime,
) -> FormedRoom | None:
    """No partner from another country came in time: join the smallest open room with another country.

    Rooms with someone in ``avoid`` (removed from a room with them) or with a member not heard since
    ``seen_since`` (reconnecting, maybe gone) are never offered; rooms with someone they ``met`` before only when
    no other room has a seat.
    """
    avoid, met = people
    rooms = db.exec(
        select(Room)
        .where(Room.session_id == exchange_session.id, Room.status == RoomStatus.OPEN)
        .order_by(col(Room.id))
    ).all()
    best: tuple[int, Room, list[Participant]] | None = None
    for room in rooms:
        assert room.id is not None
        members = room_members(db, room.id)
        if not members or len(members) >= exchange_session.room_size + 1 or avoid & {m.id for m in members}:
            continue
        if any(m.last_seen is not None and m.last_seen < seen_since for m in members):
            continue
        score = len(members) * 2 + (0 if any(m.country != student.country for m in members) else 1)
        score += 100 if met & {m.id for m in members} else 0
        if best is None or score < best[0]:
            best = (score, room, members)
    if best is None:
        return None
    _, room, members = best
    assert room.id is not None
    if not membership.claim(db, room.id, [student]):
        db.rollback()
        return None
    db.commit()
    # The room has talked already: the newcomer's feed starts at its position as read here (a message committed
    # meanwhile is sent to them too), not at 0, which would send them the whole conversation before they came.
    return _formed(db, room.id, [*members, student], room.last_seq)


def _formed(db: Session, room_id: int, members: list[Participant], seq: int = 0) -> FormedRoom:
    """A committed room whose member rows stay readable: a later rollback in this pass must not expire them."""
    for member in members:
        db.expunge(member)
    return FormedRoom(room_id, members, seq)
