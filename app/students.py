"""Student entry: join with a class code and a pseudonym, then the lobby/chat page that opens the socket."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.auth import check_csrf
from app.countries import COUNTRIES, LANGUAGE_NAMES
from app.models import ExchangeClass, School, SchoolClass
from app.security import client_address, new_nonce
from app.services import services
from app.templating import render
from rooms.clock import utcnow
from rooms.models import ExchangeSession, Participant, SessionStatus

NAME_RE = re.compile(r"^[\w][\w .'\-]{0,38}[\w.]$|^[\w]$", re.UNICODE)


class JoinError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True, slots=True)
class JoinResult:
    participant: Participant
    session: ExchangeSession
    school: School
    school_class: SchoolClass


def clean_name(raw: str) -> str:
    """A pseudonym: NFKC-normalised, no control or zero-width characters, 1-40 characters."""
    if not _encodable(raw):
        raise JoinError("bad_name", "Choose a display name of 1 to 40 letters, digits, spaces, dots or dashes.")
    name = unicodedata.normalize("NFKC", raw)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    name = re.sub(r"\s+", " ", name)
    if not name or len(name) > 40 or not NAME_RE.match(name):
        raise JoinError("bad_name", "Choose a display name of 1 to 40 letters, digits, spaces, dots or dashes.")
    if "@" in raw or re.search(r"\d{5,}", name):
        raise JoinError("bad_name", "Please don't use contact details in your name: pick a nickname.")
    return name


def _encodable(text: str) -> bool:
    """JSON may carry lone surrogates (\\ud800) or NUL, which no database (PostgreSQL text) can store: bad input."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def find_class(db: Session, code: str) -> tuple[SchoolClass, School]:
    code = code.strip().upper() if _encodable(code) else ""
    school_class = db.exec(select(SchoolClass).where(SchoolClass.join_code == code)).first() if code else None
    if school_class is None:
        raise JoinError("unknown_code", "We don't know that class code. Check it with your teacher.", 404)
    if school_class.join_code_expires_at < utcnow():
        raise JoinError("expired_code", "This class code has expired. Ask your teacher for a new one.", 410)
    school = db.get(School, school_class.school_id)
    assert school is not None
    return school_class, school


def session_for_class(db: Session, class_id: int) -> ExchangeSession:
    """The class's session that is live now, else the next one today (the student waits in its lobby)."""
    now = utcnow()
    exchange_ids = select(ExchangeClass.exchange_id).where(
        ExchangeClass.class_id == class_id, col(ExchangeClass.accepted).is_(True)
    )
    candidates = db.exec(
        select(ExchangeSession)
        .where(
            col(ExchangeSession.exchange_id).in_(exchange_ids),
            col(ExchangeSession.status).in_([SessionStatus.LIVE, SessionStatus.SCHEDULED, SessionStatus.PAUSED]),
            ExchangeSession.ends_at > now,
        )
        .order_by(col(ExchangeSession.starts_at))
    ).all()
    for exchange_session in candidates:
        if exchange_session.status != SessionStatus.SCHEDULED:
            return exchange_session
    for exchange_session in candidates:
        if (exchange_session.starts_at - now).total_seconds() < 12 * 3600:
            return exchange_session
    raise JoinError("no_session", "Your class has no session open right now. Ask your teacher when it starts.", 409)


def enrol(db: Session, code: str, name: str, country: str | None, languages: list[str] | None) -> JoinResult:
    school_class, school = find_class(db, code)
    assert school_class.id is not None
    exchange_session = session_for_class(db, school_class.id)
    country = (country or school.country).upper()
    if country not in COUNTRIES:
        raise JoinError("bad_country", "Pick your country from the list.")
    langs = [lang for lang in (languages or school_class.languages or school.languages) if lang in LANGUAGE_NAMES]
    if not langs:
        raise JoinError("bad_languages", "Pick at least one language you speak.")
    participant = Participant(
        session_id=exchange_session.id or 0,
        class_id=school_class.id,
        display_name=name,
        country=country,
        languages=langs[:5],
        token_nonce=new_nonce(),
    )
    db.add(participant)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise JoinError("name_taken", "Someone in this session already uses that name. Pick another.", 409) from None
    db.refresh(participant)
    return JoinResult(participant, exchange_session, school, school_class)


def preview(db: Session, code: str) -> tuple[SchoolClass, School]:
    return find_class(db, code)


async def _allowed(request: Request) -> None:
    client = client_address(request)
    if not await services(request).limits.allow_join(client):
        raise JoinError("rate_limited", "Too many join attempts. Wait a minute and try again.", 429)


async def join_page(request: Request) -> Response:
    return render(request, "students/join.html", {"step": 1, "values": {}, "error": None})


async def join_submit(request: Request) -> Response:
    """Step 1 checks the code and shows the class's defaults; step 2 (``confirm``) creates the participant."""
    await check_csrf(request)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    svc = services(request)
    try:
        await _allowed(request)
        name = clean_name(values.get("name", ""))
        values["name"] = name
        if values.get("step") != "2":
            school_class, school = await svc.db.run(preview, values.get("code", ""))
            values.setdefault("country", school.country)
            context = {
                "step": 2,
                "values": values,
                "error": None,
                "school": school.name,
                "class_languages": school_class.languages or school.languages,
                "countries": COUNTRIES,
                "language_names": LANGUAGE_NAMES,
            }
            return render(request, "students/join.html", context)
        languages = form.getlist("languages")
        result = await svc.db.run(
            enrol, values.get("code", ""), name, values.get("country"), [str(x) for x in languages]
        )
    except JoinError as exc:
        return render(request, "students/join.html", {"step": 1, "values": values, "error": exc.message}, exc.status)
    participant = result.participant
    assert participant.id is not None
    request.session["pt"] = svc.tokens.issue(participant.id, participant.session_id, participant.token_nonce)
    return RedirectResponse("/chat", status_code=303)


async def join_api(request: Request) -> Response:
    """JSON join for scripted clients: ``{"code", "name", "country"?, "languages"?}`` -> token and ws path."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": "bad_content_type", "message": "Send application/json."}, status_code=415)
    try:
        body: Any = await request.json()
    except ValueError:
        return JSONResponse({"error": "bad_json", "message": "Send a JSON object."}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "bad_json", "message": "Send a JSON object."}, status_code=400)
    svc = services(request)
    try:
        await _allowed(request)
        code, raw_name = body.get("code"), body.get("name")
        country, languages = body.get("country"), body.get("languages")
        if not isinstance(code, str) or not isinstance(raw_name, str):
            raise JoinError("bad_request", "'code' and 'name' are required strings.")
        if country is not None and not isinstance(country, str):
            raise JoinError("bad_country", "'country' must be a string.")
        if languages is not None and (
            not isinstance(languages, list) or not all(isinstance(x, str) for x in languages)
        ):
            raise JoinError("bad_languages", "'languages' must be a list of language codes.")
        result = await svc.db.run(enrol, code, clean_name(raw_name), country, languages)
    except JoinError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)
    p = result.participant
    assert p.id is not None
    token = svc.tokens.issue(p.id, p.session_id, p.token_nonce)
    return JSONResponse(
        {
            "token": token,
            "participant": {"id": p.id, "name": p.display_name, "country": p.country, "languages": p.languages},
            "session": {"id": result.session.id, "status": result.session.status.value, "title": result.session.title},
            "ws": "/ws",
        },
        status_code=201,
    )


async def chat_page(request: Request) -> Response:
    token = request.session.get("pt")
    if not isinstance(token, str):
        return RedirectResponse("/join", status_code=303)
    try:
        services(request).tokens.verify(token)
    except Exception:
        request.session.pop("pt", None)
        return RedirectResponse("/join", status_code=303)
    return render(request, "students/chat.html", {"token": token, "language_names": LANGUAGE_NAMES})


async def leave(request: Request) -> Response:
    await check_csrf(request)
    request.session.pop("pt", None)
    return RedirectResponse("/", status_code=303)


routes = [
    Route("/join", join_page, methods=["GET"]),
    Route("/join", join_submit, methods=["POST"]),
    Route("/api/join", join_api, methods=["POST"]),
    Route("/chat", chat_page),
    Route("/leave", leave, methods=["POST"]),
]
