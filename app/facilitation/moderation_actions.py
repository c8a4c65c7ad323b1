"""Facilitator actions on a student or a room: warn, mute, unmute, remove, ban, close a room, slow mode.

Each action changes the database, writes one ``ModerationAction`` audit row in the same transaction, then
tells the affected sockets through the hub (the student's page understands each event).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.access import Run, guard, staff_route
from app.facilitation.audit import audit
from app.forms import form_of, int_field, text_field
from app.responses import acting, conflict, done
from rooms.clock import iso, utcnow
from rooms.membership import Change
from rooms.models import Participant, Room, RoomStatus

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
    await run.svc.rooms.notices.warned(run.session_id, pid, text)
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
    await run.svc.rooms.notices.muted(run.session_id, pid, until)
    await run.svc.rooms.lifecycle.show(run.session_id, pid)
    return done(request, run, {"muted_until": until})


async def unmute(request: Request) -> Response:
    """Lift a mute early (event ``unmuted``)."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    await run.svc.db.run(_mute, run, pid, 0, _why(form))
    await run.svc.rooms.notices.muted(run.session_id, pid, None)
    await run.svc.rooms.lifecycle.show(run.session_id, pid)
    return done(request, run, {"muted_until": None})


def _audited(run: Run, action: str, why: tuple[str, int | None]) -> Callable[[Session, Change], None]:
    """The audit row of a lifecycle change, written in the change's own transaction."""

    def record(db: Session, change: Change) -> None:
        pid = change.participant_id or None
        audit(db, run, action, why[0], room_id=change.room_id, message_id=why[1], participant_id=pid)

    return record


async def remove(request: Request) -> Response:
    """Take the student out of their room and back to the waiting pool (event ``moved_out``).

    The room is told (``partner_removed``) and a partner left alone is paired again; the two are never paired
    with each other again in this session.
    """
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    change = await acting(run.svc.rooms.lifecycle.remove(run.session_id, pid, _audited(run, "remove", _why(form))))
    return done(request, run, {"removed": pid, "room": change.room_id})


async def ban(request: Request) -> Response:
    """Ban the student from this session: event ``banned``, their socket is closed and they cannot rejoin."""
    run = await guard(request)
    form = await form_of(request)
    pid = int(request.path_params["participant_id"])
    await acting(run.svc.rooms.lifecycle.ban(run.session_id, pid, _audited(run, "ban", _why(form))))
    return done(request, run, {"banned": pid})


async def close_room(request: Request) -> Response:
    """Close one room (event ``room_closed``); its students wait to be paired again."""
    run = await guard(request)
    form = await form_of(request)
    room_id = int(request.path_params["room_id"])
    record = _audited(run, "close_room", _why(form))
    members = await acting(run.svc.rooms.lifecycle.close_room(run.session_id, room_id, record))
    return done(request, run, {"closed": room_id, "members": members})


def _room(db: Session, run: Run, room_id: int) -> Room:
    room = db.get(Room, room_id)
    if room is None or room.session_id != run.session_id:
        raise HTTPException(404, "No such room in this session.")
    return room


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
    await run.svc.rooms.notices.slow_mode(run.session_id, room_id, seconds)
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
