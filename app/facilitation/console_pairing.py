"""Pairing controls of the console (pair now, re-pair everyone, move a student) and the live figures endpoint."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.access import Run, guard, staff_route
from app.facilitation.audit import audit
from app.facilitation.participation import session_stats
from app.forms import form_of, int_field
from app.responses import acting, conflict, done
from rooms.membership import Change
from rooms.models import SessionStatus


async def stats_json(request: Request) -> Response:
    """Participation figures (see ``app.facilitation.participation``), polled by the console every few seconds."""
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


async def repair_all(request: Request) -> Response:
    """Close every room, return everyone to the waiting pool and pair again (new partners where possible)."""
    run = await guard(request)

    def record(db: Session, rooms: int) -> None:
        audit(db, run, "repair_all", f"{rooms} rooms re-paired")

    moved = await run.svc.rooms.lifecycle.repair_all(run.session_id, record)
    formed = await run.svc.lobby.pair_now(run.session_id) if run.session.status == SessionStatus.LIVE else []
    return done(request, run, {"closed": [r for r, _ in moved], "rooms": [room.room_id for room in formed]})


async def move_student(request: Request) -> Response:
    """Move one student into another open room; a partner left alone goes back to the waiting pool.

    Two facilitators moving the same student at once: the first move wins, the other gets 409.
    """
    run = await guard(request)
    form = await form_of(request)
    pid = int_field(form, "participant_id", low=1, high=2**53)
    target = int_field(form, "room_id", low=1, high=2**53)

    def record(db: Session, change: Change) -> None:
        audit(db, run, "move", f"from room {change.room_id} to room {target}", room_id=target, participant_id=pid)

    moved = await acting(run.svc.rooms.lifecycle.move(run.session_id, pid, target, record))
    return done(request, run, {"room": target, "from": moved.change.room_id})


P = "/facilitate/{session_id:int}"
routes = [
    staff_route(f"{P}/stats.json", stats_json, ["GET"]),
    staff_route(f"{P}/pair", pair_now, ["POST"]),
    staff_route(f"{P}/repair", repair_all, ["POST"]),
    staff_route(f"{P}/move", move_student, ["POST"]),
]
