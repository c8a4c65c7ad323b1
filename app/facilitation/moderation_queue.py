"""The moderation queue of a session: held and reported messages in context, translated, and their actions.

Held messages wait for a facilitator (release or delete); reports wait to be handled (delete the message,
act on the student, or dismiss the report). Acting twice on the same item answers 409 and changes nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.access import Run, guard, staff_route, staff_timezone
from app.facilitation.audit import audit
from app.facilitation.safeguarding import notify_pending
from app.forms import form_of, text_field
from app.i18n import pick_language
from app.responses import conflict, done
from app.templating import format_when, render
from rooms.clock import iso
from rooms.models import Message, ModerationState, Participant, Report, Room

log = logging.getLogger(__name__)
CONTEXT = 3  # messages shown before and after the one in question
DELIVERED = (ModerationState.VISIBLE, ModerationState.MASKED)


def _sender(db: Session, pid: int | None, cache: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    if pid is None:
        return None
    if pid not in cache:
        p = db.get(Participant, pid)
        cache[pid] = {"id": pid, "name": p.display_name if p else "?", "country": p.country if p else ""}
    return cache[pid]


def _message_view(db: Session, message: Message, cache: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": message.id,
        "room": message.room_id,
        "kind": message.kind.value,
        "from": _sender(db, message.participant_id, cache),
        "text": message.original_text or message.text,
        "delivered_text": message.text if message.state in DELIVERED else None,
        "lang": message.language,
        "state": message.state.value,
        "reason": message.reason,
        "ts": iso(message.created_at),
    }


def _context(db: Session, message: Message, cache: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    assert message.id is not None
    near = (Message.room_id == message.room_id, col(Message.state).in_(DELIVERED))
    before = db.exec(select(Message).where(*near, col(Message.id) < message.id).order_by(col(Message.id).desc())
                     .limit(CONTEXT)).all()  # fmt: skip
    after = db.exec(select(Message).where(*near, col(Message.id) > message.id).order_by(col(Message.id))
                    .limit(CONTEXT)).all()  # fmt: skip
    rows = [*reversed(before), message, *after]
    return [{**_message_view(db, m, cache), "this": m.id == message.id} for m in rows]


def queue_items(db: Session, session_id: int) -> list[dict[str, Any]]:
    """Held messages and open reports of the session, oldest first, each with its room context."""
    rooms = select(Room.id).where(Room.session_id == session_id)
    held = db.exec(
        select(Message)
        .where(col(Message.room_id).in_(rooms), Message.state == ModerationState.HELD)
        .order_by(col(Message.id))
    ).all()
    reports = db.exec(
        select(Report, Message)
        .join(Message, col(Message.id) == col(Report.message_id))
        .where(col(Message.room_id).in_(rooms), Report.status == "open")
        .order_by(col(Report.id))
    ).all()
    cache: dict[int, dict[str, Any]] = {}
    items: list[dict[str, Any]] = []
    for message in held:
        view, context = _message_view(db, message, cache), _context(db, message, cache)
        items.append({"kind": "held", "key": f"m{message.id}", "message": view, "context": context, "report": None,
                      "ts": iso(message.created_at)})  # fmt: skip
    for report, message in reports:
        report_view = {
            "id": report.id,
            "reason": report.reason,
            "note": report.note,
            "reporter": _sender(db, report.reporter_id, cache),
            "ts": iso(report.created_at),
        }
        view, context = _message_view(db, message, cache), _context(db, message, cache)
        items.append({"kind": "report", "key": f"r{report.id}", "message": view, "context": context,
                      "report": report_view, "ts": iso(report.created_at)})  # fmt: skip
    items.sort(key=lambda item: str(item["ts"]))
    return items


async def _translate(run: Run, items: list[dict[str, Any]]) -> None:
    """Add each message's translation into the facilitator's language, or say why there is none."""
    target = run.user.language
    translator = run.svc.translator
    for item in items:
        message = item["message"]
        source = message["lang"]
        if source == target:
            item["translation"] = {"lang": target, "text": None, "same_language": True}
            continue
        if translator is None or source is None:
            item["translation"] = {"lang": target, "text": None, "error": "unavailable"}
            continue
        try:
            results = await translator.service.translate(message["text"], source, [target])
            result = results.get(target)
            text, error = (result.text, result.error) if result is not None else (None, "unavailable")
        except Exception:
            log.exception("queue translation of message %s failed", message["id"])
            text, error = None, "unavailable"
        item["translation"] = {"lang": target, "text": text, "error": None if text else (error or "unavailable")}


async def _load(run: Run) -> list[dict[str, Any]]:
    await notify_pending(run.svc.db, run.svc.settings, run.session_id)
    items = await run.svc.db.run(queue_items, run.session_id)
    await _translate(run, items)
    return items


async def queue_page(request: Request) -> Response:
    run = await guard(request)
    items = await _load(run)
    tz, lang = await run.svc.db.run(staff_timezone, run.user), pick_language(request)
    times = {item["key"]: format_when(datetime.fromisoformat(item["ts"]), tz, lang) for item in items}
    return render(request, "facilitators/queue.html", {"s": run.session, "items": items, "times": times,
                                                      "user_language": run.user.language})  # fmt: skip


async def queue_json(request: Request) -> Response:
    """The queue for scripts and the console's counter: ``{"count": n, "items": [...]}``."""
    run = await guard(request)
    items = await _load(run)
    return JSONResponse({"session": run.session_id, "count": len(items), "items": items})


def _message_in_session(db: Session, run: Run, message_id: int) -> Message:
    message = db.get(Message, message_id)
    room = db.get(Room, message.room_id) if message is not None else None
    if message is None or room is None or room.session_id != run.session_id:
        raise HTTPException(404, "No such message in this session.")
    return message


def _release(db: Session, run: Run, message_id: int, why: str) -> tuple[Message, dict[str, Any] | None]:
    message = _message_in_session(db, run, message_id)
    changed = db.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.state) == ModerationState.HELD)
        .values(state=ModerationState.VISIBLE)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        raise conflict(f"This message was already handled (it is {message.state.value} now).")
    audit(db, run, "release", why, room_id=message.room_id, message_id=message_id,
          participant_id=message.participant_id)  # fmt: skip
    db.commit()
    db.refresh(message)
    return message, _sender(db, message.participant_id, {})


async def release(request: Request) -> Response:
    """A held message was fine after all: make it visible and deliver it to its room as a normal message."""
    run = await guard(request)
    why = text_field(await form_of(request), "reason", max_len=500)
    message, sender = await run.svc.db.run(_release, run, int(request.path_params["message_id"]), why)
    await run.svc.rooms.deliver(run.session_id, message, sender, time.time())  # also translates it
    return done(request, run, {"released": message.id}, f"/facilitate/{run.session_id}/queue")


def _delete(db: Session, run: Run, message_id: int, why: str) -> Message:
    message = _message_in_session(db, run, message_id)
    changed = db.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.state) != ModerationState.DELETED)
        .values(state=ModerationState.DELETED)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        raise conflict("This message was already deleted.")
    db.execute(
        update(Report)
        .where(col(Report.message_id) == message_id, col(Report.status) == "open")
        .values(status="handled")
    )
    audit(db, run, "delete", why, room_id=message.room_id, message_id=message_id,
          participant_id=message.participant_id)  # fmt: skip
    db.commit()
    return message


async def delete(request: Request) -> Response:
    """Hide a message from everyone (event ``withdrawn``); it is kept, marked deleted, for the audit."""
    run = await guard(request)
    why = text_field(await form_of(request), "reason", max_len=500)
    message = await run.svc.db.run(_delete, run, int(request.path_params["message_id"]), why)
    await run.svc.rooms.notices.withdrawn(run.session_id, message, "removed_by_facilitator")
    return done(request, run, {"deleted": message.id}, f"/facilitate/{run.session_id}/queue")


def _dismiss(db: Session, run: Run, report_id: int, why: str) -> Report:
    report = db.get(Report, report_id)
    if report is None:
        raise HTTPException(404, "No such report in this session.")
    message = _message_in_session(db, run, report.message_id)
    changed = db.execute(
        update(Report).where(col(Report.id) == report_id, col(Report.status) == "open").values(status="handled")
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        raise conflict("This report was already handled.")
    audit(db, run, "dismiss_report", why or f"report {report_id}: {report.reason}", room_id=message.room_id,
          message_id=message.id, participant_id=message.participant_id)  # fmt: skip
    db.commit()
    return report


async def dismiss(request: Request) -> Response:
    """Close a report without acting on the message (it stays as it is)."""
    run = await guard(request)
    why = text_field(await form_of(request), "reason", max_len=500)
    report = await run.svc.db.run(_dismiss, run, int(request.path_params["report_id"]), why)
    return done(request, run, {"dismissed": report.id}, f"/facilitate/{run.session_id}/queue")


P = "/facilitate/{session_id:int}"
routes = [
    staff_route(f"{P}/queue", queue_page, ["GET"]),
    staff_route(f"{P}/queue.json", queue_json, ["GET"]),
    staff_route(P + "/messages/{message_id:int}/release", release, ["POST"]),
    staff_route(P + "/messages/{message_id:int}/delete", delete, ["POST"]),
    staff_route(P + "/reports/{report_id:int}/dismiss", dismiss, ["POST"]),
]
