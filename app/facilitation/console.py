"""The live console of one session: open/pause/resume/close, prompts, announcements and the page itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.access import Run, guard, staff_route, staff_timezone
from app.facilitation.audit import audit
from app.facilitation.moderation_queue import queue_items
from app.facilitation.participation import session_stats
from app.forms import form_of, text_field
from app.i18n import Phrase, gettext, pick_language
from app.locale.extra_messages import N_
from app.responses import conflict, done
from app.scheduler import close_session
from app.templating import format_clock, render
from rooms.clock import iso, utcnow
from rooms.membership import IN_SESSION
from rooms.models import (
    ExchangeSession,
    Message,
    MessageKind,
    ModerationState,
    Participant,
    ParticipantStatus,
    Room,
    RoomStatus,
    SessionStatus,
)
from rooms.protocol import message_frame, student_view
from rooms.store import room_members

MAX_PROMPTS = 20
RECENT_PER_ROOM = 30
# action -> (states it may start from, state it leads to, event students receive)
TRANSITIONS: dict[str, tuple[tuple[SessionStatus, ...], SessionStatus, str]] = {
    "open": ((SessionStatus.SCHEDULED,), SessionStatus.LIVE, "session_opened"),
    "pause": ((SessionStatus.LIVE,), SessionStatus.PAUSED, "session_paused"),
    "resume": ((SessionStatus.PAUSED,), SessionStatus.LIVE, "session_resumed"),
}
REFUSED_TRANSITION = {
    "open": N_("Only a scheduled session can be opened."),
    "pause": N_("Only a live session can be paused."),
    "resume": N_("Only a paused session can be resumed."),
}
# Every status word the console shows for a student or the session (translated into the page's language).
STATUS_WORDS = (*(s.value for s in ParticipantStatus), "banned", "reconnecting", *(s.value for s in SessionStatus))


def console_snapshot(db: Session, session_id: int) -> dict[str, Any]:
    """Open rooms with members and recent deliverable messages, plus everyone in the session (for the page)."""
    rooms = db.exec(
        select(Room).where(Room.session_id == session_id, Room.status == RoomStatus.OPEN).order_by(col(Room.id))
    ).all()
    participants = db.exec(
        select(Participant).where(Participant.session_id == session_id).order_by(col(Participant.display_name))
    ).all()
    names = {p.id: p for p in participants}
    views = []
    for room in rooms:
        assert room.id is not None
        recent = db.exec(
            select(Message)
            .where(
                Message.room_id == room.id,
                col(Message.state).in_([ModerationState.VISIBLE, ModerationState.MASKED]),
            )
            .order_by(col(Message.id).desc())
            .limit(RECENT_PER_ROOM)
        ).all()
        frames = []
        for message in reversed(recent):
            sender = names.get(message.participant_id)
            view = {"id": sender.id, "name": sender.display_name, "country": sender.country} if sender else None
            frames.append(message_frame(message, view))
        views.append({"id": room.id, "slow_mode": room.slow_mode_seconds, "members": room_members(db, room.id),
                      "messages": frames})  # fmt: skip
    return {"rooms": views, "participants": participants}


def _strings(lang: str) -> dict[str, str]:
    """Interface strings the console script needs, in the page's language (marked in extra_messages)."""
    texts = {
        "live": "Live view connected.",
        "offline": "Live view disconnected; reconnecting…",
        "flagged": "A message was held for review in room %(room)s.",
        "report": "A student reported a message in room %(room)s.",
        "room": "Room %(room)s",
        "room_closed": "Room %(room)s (closed)",
        "in_room": "room %(n)s",
        "muted_until": "muted until %(time)s",
        "withdrawn": "(withdrawn)",
        "announcement": "announcement",
        "prompt": "prompt",
        "done": "Done.",
        "failed": "That did not work:",
    }
    return {key: gettext(lang, text) for key, text in texts.items()}


def _student_row(p: Participant, lang: str, tz: str) -> dict[str, Any]:
    """A Students table row as the page renders it (the script renders later changes the same way)."""
    view = student_view(p)
    # A mute matters while the student can still write: not after they left or were removed.
    muted = p.status in IN_SESSION and p.muted_until is not None and p.muted_until > utcnow()
    label = gettext(lang, view["status"])
    if muted and p.muted_until is not None:
        label += " · " + gettext(lang, Phrase("muted until %(time)s", time=format_clock(p.muted_until, tz, lang)))
    return {**view, "label": label, "muted": muted}


async def console_page(request: Request) -> Response:
    """The console: rooms, students and figures as they are now; console.js keeps them live from /ws/watch."""
    run = await guard(request)
    snapshot = await run.svc.db.run(console_snapshot, run.session_id)
    stats = await run.svc.db.run(session_stats, run.session_id)
    tz = await run.svc.db.run(staff_timezone, run.user)
    s = run.session
    lang = pick_language(request)
    students = [_student_row(p, lang, tz) for p in snapshot["participants"]]
    boot = {
        "session": s.id,
        "tz": tz,
        "stats": stats,
        "user_language": run.user.language,
        "t": _strings(lang),
        "statuses": {word: gettext(lang, word) for word in STATUS_WORDS},
    }
    context = {
        "s": s,
        "tz": tz,
        "rooms": snapshot["rooms"],
        "participants": snapshot["participants"],
        "students": students,
        "stats": stats,
        "prompt_now": s.prompts[s.current_prompt] if 0 <= s.current_prompt < len(s.prompts) else None,
        "has_next_prompt": s.current_prompt + 1 < len(s.prompts),
        "queue_count": len(await run.svc.db.run(queue_items, run.session_id)),
        "boot": boot,
    }
    return render(request, "facilitators/console.html", context)


# -- session lifecycle --------------------------------------------------------------------------------


def _transition(db: Session, run: Run, action: str) -> bool:
    sources, target, _ = TRANSITIONS[action]
    result = db.execute(
        update(ExchangeSession)
        .where(col(ExchangeSession.id) == run.session_id, col(ExchangeSession.status).in_(sources))
        .values(status=target)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        return False
    audit(db, run, f"session_{action}")
    db.commit()
    return True


def _lifecycle(action: str) -> Any:
    async def endpoint(request: Request) -> Response:
        run = await guard(request)
        if not await run.svc.db.run(_transition, run, action):
            raise conflict(REFUSED_TRANSITION[action])
        await run.svc.rooms.notices.session_event(run.session_id, TRANSITIONS[action][2])
        if TRANSITIONS[action][1] == SessionStatus.LIVE:
            run.svc.lobby.request(run.session_id)
        return done(request, run, {"status": TRANSITIONS[action][1].value})

    endpoint.__name__ = f"session_{action}"
    return endpoint


def _close(db: Session, run: Run) -> bool:
    if not close_session(db, run.session_id):
        return False
    audit(db, run, "session_close")
    db.commit()
    return True


async def session_close(request: Request) -> Response:
    """End the session now: every room closes and every student is told (their sockets end)."""
    run = await guard(request)
    if not await run.svc.db.run(_close, run):
        raise conflict("The session is already closed.")
    await run.svc.rooms.notices.session_event(run.session_id, "session_closed")
    return done(request, run, {"status": SessionStatus.CLOSED.value})


# -- topic, prompts, announcements -------------------------------------------------------------------


def _save_prompts(db: Session, run: Run, topic: str, prompts: list[str]) -> None:
    s = db.get(ExchangeSession, run.session_id)
    assert s is not None
    s.topic, s.prompts = topic, prompts
    s.current_prompt = min(s.current_prompt, len(prompts) - 1)
    db.add(s)
    audit(db, run, "edit_prompts", f"{len(prompts)} prompts")
    db.commit()


async def edit_prompts(request: Request) -> Response:
    """Set the topic and the prompt sequence (one prompt per line)."""
    run = await guard(request)
    form = await form_of(request)
    topic = text_field(form, "topic", max_len=300)
    lines = [line.strip() for line in text_field(form, "prompts", max_len=20_000).splitlines() if line.strip()]
    if len(lines) > MAX_PROMPTS or any(len(line) > 500 for line in lines):
        raise HTTPException(400, Phrase("Up to %(n)s prompts of at most 500 characters each.", n=MAX_PROMPTS))
    await run.svc.db.run(_save_prompts, run, topic, lines)
    return done(request, run, {"topic": topic, "prompts": lines})


def _room_messages(db: Session, run: Run, kind: MessageKind, text: str) -> list[Message]:
    rooms = db.exec(select(Room.id).where(Room.session_id == run.session_id, Room.status == RoomStatus.OPEN)).all()
    messages = [Message(room_id=room_id, kind=kind, text=text) for room_id in rooms if room_id is not None]
    db.add_all(messages)
    return messages


def _advance(db: Session, run: Run) -> tuple[str, list[Message]] | None:
    s = db.get(ExchangeSession, run.session_id)
    assert s is not None
    step = s.current_prompt + 1
    if step >= len(s.prompts):
        return None
    moved = db.execute(  # compare-and-set, so two facilitators clicking together push one prompt, not two
        update(ExchangeSession)
        .where(col(ExchangeSession.id) == run.session_id, col(ExchangeSession.current_prompt) == s.current_prompt)
        .values(current_prompt=step)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        return None
    text = s.prompts[step]
    messages = _room_messages(db, run, MessageKind.PROMPT, text)
    audit(db, run, "next_prompt", f"prompt {step + 1}: {text}")
    db.commit()
    return text, messages


async def next_prompt(request: Request) -> Response:
    """Push the next prompt: a prompt message in every open room's history, and the ``prompt`` event to all."""
    run = await guard(request)
    pushed = await run.svc.db.run(_advance, run)
    if pushed is None:
        raise conflict("There is no next prompt: add prompts first.")
    text, messages = pushed
    await run.svc.rooms.notices.posted(run.session_id, messages)
    await run.svc.rooms.notices.session_event(run.session_id, "prompt", text=text)
    return done(request, run, {"prompt": text, "rooms": len(messages)})


def _announce(db: Session, run: Run, text: str) -> list[Message]:
    messages = _room_messages(db, run, MessageKind.ANNOUNCEMENT, text)
    audit(db, run, "announce", text)
    db.commit()
    return messages


async def announce(request: Request) -> Response:
    """Post an announcement into every open room (kept in each room's history)."""
    run = await guard(request)
    text = text_field(await form_of(request), "text", max_len=500, required=True)
    messages = await run.svc.db.run(_announce, run, text)
    await run.svc.rooms.notices.posted(run.session_id, messages)
    return done(request, run, {"rooms": len(messages), "sent_at": iso(messages[0].created_at) if messages else None})


P = "/facilitate/{session_id:int}"
routes = [
    staff_route(P, console_page, ["GET"]),
    *(staff_route(f"{P}/{action}", _lifecycle(action), ["POST"]) for action in TRANSITIONS),
    staff_route(f"{P}/close", session_close, ["POST"]),
    staff_route(f"{P}/prompts", edit_prompts, ["POST"]),
    staff_route(f"{P}/prompt/next", next_prompt, ["POST"]),
    staff_route(f"{P}/announce", announce, ["POST"]),
]
