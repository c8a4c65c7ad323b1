"""Data retention: purge students' data of old sessions, and export or erase one student's data on request.

``purge`` deletes participants, their messages, reports, room memberships and rooms of every session that
ended more than its exchange's ``retention_days`` (else ``BRIDGEWAY_RETENTION_DAYS``) ago. The session row
and the ``ModerationAction`` audit log stay: the audit log has no foreign keys precisely so it outlives them.
Cached translations of purged and erased messages are dropped too: they are keyed by the hash of the source
text, so both the shown and the original text are hashed before anything is deleted or overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.access import Run, guard, staff_route
from app.facilitation.audit import audit
from app.models import Exchange, SchoolClass
from app.responses import acting, conflict, done
from rooms.clock import iso, utcnow
from rooms.membership import Change, unseat_for_purge
from rooms.models import (
    ExchangeSession,
    Message,
    ModerationAction,
    Participant,
    Report,
    Room,
    RoomMember,
    SessionStatus,
)
from translation.cache import delete_translations, text_hash
from translation.models import Translation

ERASED_TEXT = "[erased]"


@dataclass
class PurgeReport:
    sessions: list[int]
    participants: int = 0
    messages: int = 0
    reports: int = 0
    room_members: int = 0
    rooms: int = 0
    translations: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def expired_sessions(db: Session, default_days: int, now: datetime | None = None) -> list[int]:
    """Sessions that ended (closed, cancelled or past their end) longer ago than their retention period."""
    now = now or utcnow()
    rows = db.exec(
        select(ExchangeSession.id, ExchangeSession.ends_at, ExchangeSession.status, Exchange.retention_days).join(
            Exchange, col(Exchange.id) == col(ExchangeSession.exchange_id)
        )
    ).all()
    expired = []
    for session_id, ends_at, status, days in rows:
        if session_id is None or (status not in (SessionStatus.CLOSED, SessionStatus.CANCELLED) and ends_at > now):
            continue
        if ends_at < now - timedelta(days=days or default_days):
            expired.append(session_id)
    return sorted(expired)


def purge(db: Session, default_days: int, *, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Delete the student data of expired sessions (one transaction); with ``dry_run`` only count it."""
    sessions = expired_sessions(db, default_days, now)
    report = PurgeReport(sessions)
    if not sessions:
        return report
    room_ids = list(db.exec(select(Room.id).where(col(Room.session_id).in_(sessions))))
    people = list(db.exec(select(Participant.id).where(col(Participant.session_id).in_(sessions))))
    message_filter = col(Message.room_id).in_(room_ids) | col(Message.participant_id).in_(people)
    message_ids = list(db.exec(select(Message.id).where(message_filter)))
    report_filter = col(Report.message_id).in_(message_ids) | col(Report.reporter_id).in_(people)
    member_filter = col(RoomMember.room_id).in_(room_ids) | col(RoomMember.participant_id).in_(people)
    hashes = _text_hashes(db, message_filter)
    report.participants, report.messages, report.rooms = len(people), len(message_ids), len(room_ids)
    report.reports = len(db.exec(select(Report.id).where(report_filter)).all())
    report.room_members = len(db.exec(select(RoomMember.room_id).where(member_filter)).all())
    report.translations = len(db.exec(select(Translation.id).where(col(Translation.text_hash).in_(hashes))).all())
    if dry_run or not (report.participants or report.messages or report.rooms or report.translations):
        return report  # nothing left to delete (already purged, here or by another process): no audit row
    db.execute(delete(Report).where(report_filter))
    deleted = _rows(db.execute(delete(Message).where(message_filter)))
    db.execute(delete(RoomMember).where(member_filter))
    unseat_for_purge(db, people)
    deleted += _rows(db.execute(delete(Participant).where(col(Participant.id).in_(people))))
    deleted += _rows(db.execute(delete(Room).where(col(Room.id).in_(room_ids))))
    deleted += delete_translations(db, hashes)
    if deleted:  # another process that purged the same rows first leaves this one nothing: one audit row
        db.add(ModerationAction(action="purge", reason=f"retention: sessions {sessions}"[:500]))
    db.commit()
    return report


def _rows(result: Any) -> int:
    return int(result.rowcount)


def _text_hashes(db: Session, message_filter: Any) -> set[str]:
    """Hashes of every text the matching messages had (shown and original): translations are keyed by them."""
    rows = db.exec(select(Message.text, Message.original_text).where(message_filter)).all()
    return {text_hash(t) for row in rows for t in row if t and t != ERASED_TEXT}


# -- one student's data ---------------------------------------------------------------------------------


def _student(db: Session, run: Run, pid: int) -> Participant:
    participant = db.get(Participant, pid)
    if participant is None or participant.session_id != run.session_id:
        raise HTTPException(404, "No such student in this session.")
    return participant


def participant_data(db: Session, run: Run, pid: int) -> dict[str, Any]:
    """Everything stored about one student in this session (for a data-access request), audited."""
    p = _student(db, run, pid)
    school_class = db.get(SchoolClass, p.class_id)
    messages = db.exec(select(Message).where(Message.participant_id == pid).order_by(col(Message.id))).all()
    reports = db.exec(select(Report).where(Report.reporter_id == pid).order_by(col(Report.id))).all()
    actions = db.exec(
        select(ModerationAction).where(ModerationAction.participant_id == pid).order_by(col(ModerationAction.id))
    ).all()
    data = {
        "participant": {
            "id": p.id, "session": p.session_id, "name": p.display_name, "country": p.country,
            "languages": p.languages, "class": school_class.name if school_class else None,
            "status": p.status.value, "banned": p.banned, "erased": p.erased, "joined_at": iso(p.joined_at),
            "muted_until": iso(p.muted_until) if p.muted_until else None,
        },
        "messages": [
            {"id": m.id, "room": m.room_id, "time_utc": iso(m.created_at), "text": m.text,
             "original_text": m.original_text, "language": m.language, "state": m.state.value, "reason": m.reason}
            for m in messages
        ],
        "reports_made": [
            {"id": r.id, "message_id": r.message_id, "reason": r.reason, "note": r.note, "status": r.status,
             "time_utc": iso(r.created_at)}
            for r in reports
        ],
        "moderation": [
            {"time_utc": iso(a.created_at), "action": a.action, "reason": a.reason, "message_id": a.message_id}
            for a in actions
        ],
    }  # fmt: skip
    audit(db, run, "export_participant", f"{len(messages)} messages", participant_id=pid)
    db.commit()
    return data


async def export_participant(request: Request) -> Response:
    """One student's data as JSON (download)."""
    run = await guard(request)
    pid = int(request.path_params["participant_id"])
    data = await run.svc.db.run(participant_data, run, pid)
    headers = {"Content-Disposition": f'attachment; filename="bridgeway-participant-{pid}.json"',
               "Cache-Control": "no-store"}  # fmt: skip
    return JSONResponse(data, headers=headers)


def _erase_data(run: Run, pid: int, hashes: set[str]) -> Callable[[Session, Change], int]:
    """Replace the student's texts and name and write the audit row, in the lifecycle's transaction.

    The hashes of the texts (collected into ``hashes``) are taken before they are overwritten: they are the
    only way to find the texts' cached translations, deleted in the same transaction.
    """

    def record(db: Session, change: Change) -> int:
        p = db.get(Participant, pid)
        assert p is not None
        if p.erased:
            raise conflict("This student's data was already erased.")
        hashes.update(_text_hashes(db, col(Message.participant_id) == pid))
        delete_translations(db, hashes)
        changed = db.execute(
            update(Message).where(col(Message.participant_id) == pid).values(text=ERASED_TEXT, original_text=None)
        )
        db.execute(update(Report).where(col(Report.reporter_id) == pid).values(note=""))
        # The pseudonym must stay unique within the session, hence the id.
        p.display_name, p.erased = f"erased-{pid}", True
        db.add(p)
        count = int(changed.rowcount)  # type: ignore[attr-defined]
        audit(db, run, "erase_participant", f"{count} messages erased", room_id=change.room_id, participant_id=pid)
        return count

    return record


async def erase(request: Request) -> Response:
    """Erase one student's data now (texts replaced, name replaced, account ended); the audit log keeps the act."""
    run = await guard(request)
    pid = int(request.path_params["participant_id"])
    hashes: set[str] = set()
    _, count = await acting(run.svc.rooms.lifecycle.erase(run.session_id, pid, _erase_data(run, pid, hashes)))
    if run.svc.translator is not None:
        run.svc.translator.service.cache.forget(hashes)  # this process's memory copy of those translations
    return done(request, run, {"erased": pid, "messages": count})


S = "/facilitate/{session_id:int}/participants/{participant_id:int}"
routes = [
    staff_route(f"{S}/export.json", export_participant, ["GET"]),
    staff_route(f"{S}/erase", erase, ["POST"]),
]
