"""Facilitator actions on a student or a room: warn, mute, unmute, remove, ban, close a room, slow mode.

Each action changes the database, writes one ``ModerationAction`` audit row in the same transaction, then
tells the affected sockets through the hub (the student's page understands each event).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.facilitation import Run, audit, conflict, done, form_of, guard, int_field, publish, staff_route, text_field
from rooms.clock import iso, utcnow
from rooms.models import Participant, ParticipantStatus, Room, RoomMember, RoomStatus
from rooms.store import return_to_lobby, room_members

DEFAULT_WARNING = "Please keep the conversation kind and safe. A facilitator is reading."
MAX_MUTE_MINUTES = 120
MAX_SLOW_SECONDS = 600


def _student(db: Session, run: Run, pid: int) -> Participant:
    participant = db.get(Participant, pid)
    if participant is None or participant.session_id != run.session_id:
        raise HTTPException(404, "No such student in this session.")
    return participant


def _why(form: FormData) -> tuple[str, int | None]:
    reason = text_field(form, "reason", max_len=500)
    message_id = int_field(form, "message_id", low=0, high=2**53, default=0) or None
    return reason, message_id


def _leave_room(db: Session, participant: Participant) -> tuple[int | None, list[int]]:
    """End the student's membership of their room; return the room and who is still in it."""
    room_id = participant.room_id
    if room_id is None or participant.id is None:
        return None, []
    member = db.get(RoomMember, (room_id, participant.id))
    if member is not None and member.left_at is None:
        member.left_at = utcnow()
        db.add(member)
    participant.room_id = None
    db.flush()
    remaining = [p.id for p in room_members(db, room_id) if p.id is not None and p.id != participant.id]
    return room_id, remaining


async def _after_leaving(run: Run, pid: int, room_id: int | None, remaining: list[int]) -> None:
    if room_id is None:
        return
    frame = {"type": "presence", "room": room_id, "participant": pid, "state": "left"}
    await publish(run.svc.hub.to_room(run.session_id, room_id, frame))
    if len(remaining) == 1:  # a partner alone in a room goes back to the waiting pool to be paired again
        await run.svc.rooms.repair_if_alone(run.session_id, room_id)
    elif not remaining:
        await run.svc.db.run(return_to_lobby, [], room_id)  # closes the now empty room


def _warn(db: Session, run: Run, pid: int, text: str, why: tuple[str, int | None]) -> None:
    participant = _student(db, run, pid)
    audit(db, run, "warn", why[0] or text, room_id=participant.room_id, message_id=why[1], participant_id=pid)
    db.commit()


async def warn(request: Request) -> Response:
    """Show the student a warning from the facilitator (event ``warned``)."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    text = text_field(form, "text", max_len=300) or DEFAULT_WARNING
    await run.svc.db.run(_warn, run, pid, text, _why(form))
    await publish(run.svc.hub.to_participant(run.session_id, pid, {"type": "event", "event": "warned", "text": text}))
    return done(request, run, {"warned": pid})


def _mute(db: Session, run: Run, pid: int, minutes: int, why: tuple[str, int | None]) -> str | None:
    participant = _student(db, run, pid)
    if minutes == 0:
        if participant.muted_until is None or participant.muted_until <= utcnow():
            raise conflict("This student is not muted.")
        participant.muted_until = None
    else:
        participant.muted_until = utcnow() + timedelta(minutes=minutes)
    db.add(participant)
    action = f"mute {minutes} min" if minutes else "unmute"
    audit(db, run, action.split()[0], why[0] or action, room_id=participant.room_id, message_id=why[1],
          participant_id=pid)  # fmt: skip
    db.commit()
    return iso(participant.muted_until) if participant.muted_until else None


async def mute(request: Request) -> Response:
    """Stop the student sending for N minutes (event ``muted`` with the end time); they can still read."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    minutes = int_field(form, "minutes", low=1, high=MAX_MUTE_MINUTES, default=5)
    until = await run.svc.db.run(_mute, run, pid, minutes, _why(form))
    await publish(run.svc.hub.to_participant(run.session_id, pid, {"type": "event", "event": "muted", "until": until}))
    return done(request, run, {"muted_until": until})


async def unmute(request: Request) -> Response:
    """Lift a mute early (event ``unmuted``)."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    await run.svc.db.run(_mute, run, pid, 0, _why(form))
    await publish(run.svc.hub.to_participant(run.session_id, pid, {"type": "event", "event": "unmuted"}))
    return done(request, run, {"muted_until": None})


def _remove(db: Session, run: Run, pid: int, why: tuple[str, int | None]) -> tuple[int | None, list[int]]:
    participant = _student(db, run, pid)
    if participant.room_id is None:
        raise conflict("This student is not in a room.")
    room_id, remaining = _leave_room(db, participant)
    participant.status, participant.waiting_since = ParticipantStatus.WAITING, utcnow()
    db.add(participant)
    audit(db, run, "remove", why[0], room_id=room_id, message_id=why[1], participant_id=pid)
    db.commit()
    return room_id, remaining


async def remove(request: Request) -> Response:
    """Take the student out of their room and back to the waiting pool (event ``moved_out``)."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    async with run.svc.lobby.lock(run.session_id):  # no pairing pass between "waiting" and "moved_out"
        room_id, remaining = await run.svc.db.run(_remove, run, pid, _why(form))
        await publish(
            run.svc.hub.to_participant(run.session_id, pid, {"type": "event", "event": "moved_out", "room": room_id})
        )
    await _after_leaving(run, pid, room_id, remaining)
    return done(request, run, {"removed": pid, "room": room_id})


def _ban(db: Session, run: Run, pid: int, why: tuple[str, int | None]) -> tuple[int | None, list[int]]:
    participant = _student(db, run, pid)
    if participant.banned:
        raise conflict("This student is already banned from the session.")
    room_id, remaining = _leave_room(db, participant)
    participant.banned, participant.status = True, ParticipantStatus.REMOVED
    db.add(participant)
    audit(db, run, "ban", why[0], room_id=room_id, message_id=why[1], participant_id=pid)
    db.commit()
    return room_id, remaining


async def ban(request: Request) -> Response:
    """Ban the student from this session: event ``banned``, their socket is closed and they cannot rejoin."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    room_id, remaining = await run.svc.db.run(_ban, run, pid, _why(form))
    await publish(run.svc.hub.to_participant(run.session_id, pid, {"type": "event", "event": "banned"}))
    await _after_leaving(run, pid, room_id, remaining)
    return done(request, run, {"banned": pid})


def _room(db: Session, run: Run, room_id: int) -> Room:
    room = db.get(Room, room_id)
    if room is None or room.session_id != run.session_id:
        raise HTTPException(404, "No such room in this session.")
    return room


def _close_room(db: Session, run: Run, room_id: int, why: tuple[str, int | None]) -> list[int]:
    _room(db, run, room_id)
    closed = db.execute(
        update(Room)
        .where(col(Room.id) == room_id, col(Room.status) == RoomStatus.OPEN)
        .values(status=RoomStatus.CLOSED, closed_at=utcnow())
    )
    if not closed.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        raise conflict("This room is already closed.")
    members = [p.id for p in room_members(db, room_id) if p.id is not None]
    audit(db, run, "close_room", why[0], room_id=room_id, message_id=why[1])
    db.commit()
    return_to_lobby(db, members, room_id)  # members go back to the waiting pool
    return members


async def close_room(request: Request) -> Response:
    """Close one room (event ``room_closed``); its students wait to be paired again."""
    run = await guard(request)
    form = await form_of(request)
    room_id = int(request.path_params["room_id"])
    members = await run.svc.db.run(_close_room, run, room_id, _why(form))
    frame = {"type": "event", "event": "room_closed", "room": room_id}
    await publish(run.svc.hub.to_room(run.session_id, room_id, frame))
    run.svc.lobby.request(run.session_id)
    return done(request, run, {"closed": room_id, "members": members})


def _slow(db: Session, run: Run, room_id: int, seconds: int, why: tuple[str, int | None]) -> None:
    room = _room(db, run, room_id)
    if room.status != RoomStatus.OPEN:
        raise conflict("This room is closed.")
    room.slow_mode_seconds = seconds
    db.add(room)
    audit(db, run, "slow_mode", why[0] or f"{seconds} s", room_id=room_id, message_id=why[1])
    db.commit()


async def slow_mode(request: Request) -> Response:
    """Each student in the room may send one message per N seconds (0 turns slow mode off)."""
    run = await guard(request)
    form = await form_of(request)
    room_id = int(request.path_params["room_id"])
    seconds = int_field(form, "seconds", low=0, high=MAX_SLOW_SECONDS)
    await run.svc.db.run(_slow, run, room_id, seconds, _why(form))
    frame = {"type": "event", "event": "slow_mode", "room": room_id, "seconds": seconds}
    await publish(run.svc.hub.to_room(run.session_id, room_id, frame))
    return done(request, run, {"room": room_id, "slow_mode": seconds})


P = "/facilitate/{session_id:int}"
S = P + "/participants/{participant_id:int}"
R = P + "/rooms/{room_id:int}"
routes = [
    staff_route(f"{S}/warn", warn, ["POST"]),
    staff_route(f"{S}/mute", mute, ["POST"]),
    staff_route(f"{S}/unmute", unmute, ["POST"]),
    staff_route(f"{S}/remove", remove, ["POST"]),
    staff_route(f"{S}/ban", ban, ["POST"]),
    staff_route(f"{R}/close", close_room, ["POST"]),
    staff_route(f"{R}/slow", slow_mode, ["POST"]),
]
