"""Pairing controls of the console (pair now, re-pair everyone, move a student) and the live figures endpoint."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.facilitation import Run, audit, conflict, done, form_of, guard, int_field, publish, staff_route
from app.participation import session_stats
from rooms.clock import utcnow
from rooms.lobby import room_view
from rooms.models import Participant, ParticipantStatus, Room, RoomMember, RoomStatus, SessionStatus
from rooms.store import return_to_lobby, room_members


async def stats_json(request: Request) -> Response:
    """Participation figures (see ``app.participation``), polled by the console every few seconds."""
    run = await guard(request)
    return JSONResponse(await run.svc.db.run(session_stats, run.session_id))


async def pair_now(request: Request) -> Response:
    """Pair everyone waiting right now instead of waiting for the lobby's next round."""
    run = await guard(request)
    if run.session.status != SessionStatus.LIVE:
        raise conflict("Students can only be paired while the session is live.")
    formed = await run.svc.lobby.pair_now(run.session_id)
    await run.svc.db.run(_audit_only, run, "pair_now", f"{len(formed)} rooms formed")
    return done(request, run, {"rooms": [room.room_id for room in formed]})


def _audit_only(db: Session, run: Run, action: str, reason: str) -> None:
    audit(db, run, action, reason)
    db.commit()


def _empty_rooms(db: Session, run: Run) -> list[tuple[int, list[int]]]:
    rooms = db.exec(select(Room.id).where(Room.session_id == run.session_id, Room.status == RoomStatus.OPEN)).all()
    moved: list[tuple[int, list[int]]] = []
    for room_id in rooms:
        assert room_id is not None
        members = [p.id for p in room_members(db, room_id) if p.id is not None]
        moved.append((room_id, return_to_lobby(db, members, room_id)))
        room = db.get(Room, room_id)
        if room is not None and room.status == RoomStatus.OPEN:  # someone not "paired" kept it open: close it
            room.status, room.closed_at = RoomStatus.CLOSED, utcnow()
            db.add(room)
    audit(db, run, "repair_all", f"{len(moved)} rooms re-paired")
    db.commit()
    return moved


async def repair_all(request: Request) -> Response:
    """Close every room, return everyone to the waiting pool and pair again (new partners where possible)."""
    run = await guard(request)
    async with run.svc.lobby.lock(run.session_id):
        moved = await run.svc.db.run(_empty_rooms, run)
        for room_id, participant_ids in moved:
            for pid in participant_ids:
                frame = {"type": "event", "event": "repairing", "room": room_id}
                await publish(run.svc.hub.to_participant(run.session_id, pid, frame))
    formed = await run.svc.lobby.pair_now(run.session_id) if run.session.status == SessionStatus.LIVE else []
    return done(request, run, {"closed": [r for r, _ in moved], "rooms": [room.room_id for room in formed]})


def _move(db: Session, run: Run, pid: int, target: int) -> tuple[int | None, list[Participant], int, list[int]]:
    participant = db.get(Participant, pid)
    room = db.get(Room, target)
    if participant is None or participant.session_id != run.session_id:
        raise HTTPException(404, "No such student in this session.")
    if room is None or room.session_id != run.session_id or room.status != RoomStatus.OPEN:
        raise HTTPException(404, "No such open room in this session.")
    if participant.banned or participant.status in (ParticipantStatus.REMOVED, ParticipantStatus.LEFT):
        raise conflict("This student is not in the session any more.")
    if participant.room_id == target:
        raise conflict("The student is already in that room.")
    now, old = utcnow(), participant.room_id
    if old is not None:
        left = db.get(RoomMember, (old, pid))
        if left is not None:
            left.left_at = now
            db.add(left)
    member = db.get(RoomMember, (target, pid)) or RoomMember(room_id=target, participant_id=pid)
    member.left_at, member.joined_at = None, now
    db.add(member)
    participant.room_id, participant.status, participant.waiting_since = target, ParticipantStatus.PAIRED, None
    db.add(participant)
    audit(db, run, "move", f"from room {old} to room {target}", room_id=target, participant_id=pid)
    db.commit()
    remaining = [p.id for p in room_members(db, old) if p.id is not None] if old is not None else []
    if old is not None and not remaining:
        return_to_lobby(db, [], old)  # nobody left: this closes the room
    return old, room_members(db, target), room.slow_mode_seconds, remaining


async def move_student(request: Request) -> Response:
    """Move one student into another open room; a partner left alone goes back to the waiting pool."""
    run = await guard(request)
    form = await form_of(request)
    pid = int_field(form, "participant_id", low=1, high=2**53)
    target = int_field(form, "room_id", low=1, high=2**53)
    old, members, slow, remaining = await run.svc.db.run(_move, run, pid, target)
    hub, sid = run.svc.hub, run.session_id
    if old is not None:
        await publish(hub.to_participant(sid, pid, {"type": "event", "event": "moved_out", "room": old}))
        await publish(hub.to_room(sid, old, {"type": "presence", "room": old, "participant": pid, "state": "left"}))
    view = room_view(target, members, slow)
    for member in members:  # the room's member list changed for everyone in it
        assert member.id is not None
        await publish(hub.to_participant(sid, member.id, {"type": "paired", "room": view}))
    await publish(hub.to_watchers(sid, {"type": "room_opened", "room": view}))
    if old is not None and len(remaining) == 1:
        await run.svc.rooms.repair_if_alone(sid, old)
    return done(request, run, {"room": target, "from": old})


P = "/facilitate/{session_id:int}"
routes = [
    staff_route(f"{P}/stats.json", stats_json, ["GET"]),
    staff_route(f"{P}/pair", pair_now, ["POST"]),
    staff_route(f"{P}/repair", repair_all, ["POST"]),
    staff_route(f"{P}/move", move_student, ["POST"]),
]
