"""Per-room translation health for the facilitator console: translating, no pack, or waiting on a full queue."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.access import guard, staff_route
from app.countries import language_name
from app.i18n import Phrase, gettext, pick_language
from rooms.models import Room, RoomStatus
from rooms.store import room_members

P = "/facilitate/{session_id:int}"


def _room_languages(db: Session, session_id: int) -> dict[int, list[str]]:
    """Open rooms of the session -> their members' first languages."""
    rooms = db.exec(
        select(Room.id).where(Room.session_id == session_id, Room.status == RoomStatus.OPEN).order_by(col(Room.id))
    ).all()
    return {
        room_id: [m.languages[0] for m in room_members(db, room_id) if m.languages]
        for room_id in rooms
        if room_id is not None
    }


def _text(health: dict[str, Any], lang: str) -> str:
    state = health["state"]
    if state == "off":
        return gettext(lang, Phrase("Translation: off on this server."))
    if state == "not_needed":
        return gettext(lang, Phrase("Translation: not needed (one language)."))
    if state == "busy":
        return gettext(lang, Phrase("Translation: overloaded; some messages are shown in the original only."))
    if state == "unavailable":
        pairs = ", ".join(
            f"{language_name(source, lang)} → {language_name(target, lang)}" for source, target in health["missing"]
        )
        return gettext(lang, Phrase("Translation: no language pack for %(pairs)s.", pairs=pairs))
    return gettext(lang, Phrase("Translation: working."))


async def translation_json(request: Request) -> Response:
    """``{"queue": {...}, "rooms": [{"id", "state", "missing", "translated", "failed", "text"}]}``, polled by the
    console; `text` is in the facilitator's interface language, so the script only shows it."""
    run = await guard(request)
    lang = pick_language(request)
    rooms = await run.svc.db.run(_room_languages, run.session_id)
    translator = run.svc.translator
    views = []
    for room_id, languages in rooms.items():
        if translator is None:
            health: dict[str, Any] = {"state": "off", "missing": [], "translated": 0, "failed": 0}
        else:
            health = translator.health(room_id, languages)
        views.append({"id": room_id, **health, "text": _text(health, lang)})
    queue = translator.queue_state() if translator is not None else None
    return JSONResponse({"queue": queue, "rooms": views})


routes = [staff_route(f"{P}/translation.json", translation_json, ["GET"])]
