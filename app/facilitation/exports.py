"""Session exports for staff: the transcript and the safeguarding record, each as CSV or JSON.

The transcript is what students saw: delivered messages, prompts and announcements (masked messages as
masked; held, blocked and deleted ones left out). The safeguarding export is the opposite view: every held,
blocked, deleted or reported message with its original text, and every audit row of the session.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from sqlmodel import Session, col, or_, select
from starlette.requests import Request
from starlette.responses import Response

from app.access import Run, guard, staff_route
from app.facilitation.audit import audit
from rooms.clock import iso
from rooms.models import Message, ModerationAction, ModerationState, Participant, Report, Room

TRANSCRIPT_STATES = (ModerationState.VISIBLE, ModerationState.MASKED)
SAFEGUARDING_STATES = (ModerationState.HELD, ModerationState.BLOCKED, ModerationState.DELETED)
TRANSCRIPT_FIELDS = ["message_id", "room", "time_utc", "kind", "sender", "country", "language", "text", "state"]
SAFEGUARDING_FIELDS = [
    "record", "id", "time_utc", "room", "message_id", "participant", "country", "state_or_action",
    "reason", "text", "original_text", "reports", "actor_user_id",
]  # fmt: skip


def _people(db: Session, session_id: int) -> dict[int, Participant]:
    rows = db.exec(select(Participant).where(Participant.session_id == session_id))
    return {p.id: p for p in rows if p.id is not None}


def _room_ids(db: Session, session_id: int) -> list[int]:
    return [r for r in db.exec(select(Room.id).where(Room.session_id == session_id)) if r is not None]


def transcript_rows(db: Session, session_id: int) -> list[dict[str, Any]]:
    """Delivered messages of every room of the session, ordered by room then time."""
    people = _people(db, session_id)
    messages = db.exec(
        select(Message)
        .where(col(Message.room_id).in_(_room_ids(db, session_id)), col(Message.state).in_(TRANSCRIPT_STATES))
        .order_by(col(Message.room_id), col(Message.id))
    )
    rows = []
    for m in messages:
        sender = people.get(m.participant_id) if m.participant_id is not None else None
        rows.append(
            {
                "message_id": m.id,
                "room": m.room_id,
                "time_utc": iso(m.created_at),
                "kind": m.kind.value,
                "sender": sender.display_name if sender else None,
                "country": sender.country if sender else None,
                "language": m.language,
                "text": m.text,
                "state": m.state.value,
            }
        )
    return rows


def safeguarding_rows(db: Session, session_id: int) -> list[dict[str, Any]]:
    """Moderated and reported messages (original text included), then every audit row of the session.

    Empty cells are ``None`` (``null`` in JSON, an empty cell in CSV).
    """
    people = _people(db, session_id)
    room_ids = _room_ids(db, session_id)
    reports: dict[int, list[str]] = {}
    for report in db.exec(
        select(Report)
        .join(Message, col(Message.id) == col(Report.message_id))
        .where(col(Message.room_id).in_(room_ids))
    ):
        reporter = people.get(report.reporter_id)
        reports.setdefault(report.message_id, []).append(
            f"{report.reason} by {reporter.display_name if reporter else '?'} ({report.status})"
            + (f": {report.note}" if report.note else "")
        )
    messages = db.exec(
        select(Message)
        .where(
            col(Message.room_id).in_(room_ids),
            or_(col(Message.state).in_(SAFEGUARDING_STATES), col(Message.id).in_(list(reports))),
        )
        .order_by(col(Message.id))
    )
    rows: list[dict[str, Any]] = []
    for m in messages:
        sender = people.get(m.participant_id) if m.participant_id is not None else None
        rows.append({
            "record": "message", "id": m.id, "time_utc": iso(m.created_at), "room": m.room_id, "message_id": m.id,
            "participant": sender.display_name if sender else None, "country": sender.country if sender else None,
            "state_or_action": m.state.value, "reason": m.reason, "text": m.text,
            "original_text": m.original_text, "reports": "; ".join(reports.get(m.id or 0, [])) or None,
            "actor_user_id": None,
        })  # fmt: skip
    actions = db.exec(
        select(ModerationAction)
        .where(
            or_(
                ModerationAction.session_id == session_id,
                # the automatic pipeline's rows (translation withdrawals) carry the room, not the session
                col(ModerationAction.session_id).is_(None) & col(ModerationAction.room_id).in_(room_ids),
            )
        )
        .order_by(col(ModerationAction.id))
    )
    for a in actions:
        who = people.get(a.participant_id) if a.participant_id is not None else None
        rows.append({
            "record": "action", "id": a.id, "time_utc": iso(a.created_at), "room": a.room_id,
            "message_id": a.message_id, "participant": who.display_name if who else a.participant_id,
            "country": who.country if who else None, "state_or_action": a.action, "reason": a.reason, "text": None,
            "original_text": None, "reports": None, "actor_user_id": a.actor_user_id,
        })  # fmt: skip
    return rows


def to_csv(rows: list[dict[str, Any]], fields: list[str]) -> str:
    """CSV for spreadsheets: every text cell defused wherever a spreadsheet might start a new cell in it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _defuse(v) for k, v in row.items()})
    return buffer.getvalue()


# Spreadsheets run a cell that starts with = + - @ as a formula. A spreadsheet set to another separator than
# ours (";" in de/fr/es locales, tab, "|") or one that ignores our quoting splits a field wherever that
# separator or a line break occurs, so every such point in the text is a possible cell start: each one gets
# the apostrophe that makes spreadsheets treat the rest as text. Leading white space and quotes are skipped
# over because spreadsheets strip them before looking for a formula.
_CELL_START = re.compile(r"""(^|[,;\t|\r\n])([\s"]*)(?=[=+\-@])""")


def _defuse(value: Any) -> Any:
    if isinstance(value, str):
        return _CELL_START.sub(r"\1\2'", value)
    return value


def _audited(db: Session, run: Run, what: str) -> None:
    audit(db, run, "export", what)
    db.commit()


def _download(run: Run, name: str, fmt: str, rows: list[dict[str, Any]], fields: list[str]) -> Response:
    filename = f"bridgeway-session-{run.session_id}-{name}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        return Response(to_csv(rows, fields), media_type="text/csv; charset=utf-8", headers=headers)
    body = json.dumps({"session": run.session_id, "title": run.session.title, name: rows}, ensure_ascii=False)
    return Response(body, media_type="application/json", headers=headers)


def _exporter(name: str, fmt: str) -> Any:
    builder, fields = (transcript_rows, TRANSCRIPT_FIELDS) if name == "transcript" else (
        safeguarding_rows, SAFEGUARDING_FIELDS)  # fmt: skip

    async def endpoint(request: Request) -> Response:
        run = await guard(request)
        rows = await run.svc.db.run(builder, run.session_id)
        await run.svc.db.run(_audited, run, f"{name}.{fmt}")
        return _download(run, name, fmt, rows, fields)

    endpoint.__name__ = f"export_{name}_{fmt}"
    endpoint.__doc__ = f"Download the session's {name} as {fmt.upper()}."
    return endpoint


P = "/facilitate/{session_id:int}/export"
routes = [
    staff_route(f"{P}/{name}.{fmt}", _exporter(name, fmt), ["GET"])
    for name in ("transcript", "safeguarding")
    for fmt in ("csv", "json")
]
