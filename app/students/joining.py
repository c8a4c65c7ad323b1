"""Joining a session with a class code: names, code lookup, the session open now and the new participant.

Pure database work run off the event loop; the routes in app/students/pages.py add the rate limits and the device check.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from app.countries import COUNTRIES, LANGUAGE_NAMES
from app.models import ExchangeClass, School, SchoolClass
from app.security import new_nonce
from app.students.devices import banned_on_device
from rooms.clock import utcnow
from rooms.models import ExchangeSession, Participant, ParticipantStatus, SessionStatus
from rooms.moderation.hooks.contact import contact_in_name

NAME_RE = re.compile(r"^[\w][\w .'\-]{0,38}[\w.]$|^[\w]$", re.UNICODE)


class JoinError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.retry_after = code, message, status, retry_after


@dataclass(frozen=True, slots=True)
class JoinResult:
    participant: Participant
    session: ExchangeSession
    school: School
    school_class: SchoolClass
    banned_on_device: list[tuple[int, str]]  # this browser's earlier participants banned from the session


def clean_name(raw: str) -> str:
    """A pseudonym: NFKC-normalised, no control or zero-width characters, 1-40 characters."""
    if not _encodable(raw):
        raise JoinError("bad_name", "Choose a display name of 1 to 40 letters, digits, spaces, dots or dashes.")
    name = unicodedata.normalize("NFKC", raw)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    name = re.sub(r"\s+", " ", name)
    if not name or len(name) > 40 or not NAME_RE.match(name):
        raise JoinError("bad_name", "Choose a display name of 1 to 40 letters, digits, spaces, dots or dashes.")
    if "@" in raw or re.search(r"\d{5,}", name) or contact_in_name(name) is not None:
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


# Built once (bound per join): a burst of a whole school joining runs these thousands of times a minute, and
# building a statement costs about as much as running it on SQLite.
_CLASS_BY_CODE = (
    select(SchoolClass, School)
    .join(School, col(School.id) == col(SchoolClass.school_id))
    .where(SchoolClass.join_code == bindparam("code"))
)
_ACCEPTED_EXCHANGES = select(ExchangeClass.exchange_id).where(
    ExchangeClass.class_id == SchoolClass.id, col(ExchangeClass.accepted).is_(True)
)
_OPEN_NOW = and_(
    col(ExchangeSession.exchange_id).in_(_ACCEPTED_EXCHANGES),
    col(ExchangeSession.status).in_([SessionStatus.LIVE, SessionStatus.SCHEDULED, SessionStatus.PAUSED]),
    ExchangeSession.ends_at > bindparam("now"),
)
# The code's class and school with each of its open sessions (one row with no session if none): ``admit`` in one
# query instead of two.
_ADMISSION = (
    select(SchoolClass, School, ExchangeSession)
    .join(School, col(School.id) == col(SchoolClass.school_id))
    .outerjoin(ExchangeSession, _OPEN_NOW)
    .where(SchoolClass.join_code == bindparam("code"))
    .order_by(col(ExchangeSession.starts_at))
)


def find_class(db: Session, code: str) -> tuple[SchoolClass, School]:
    code = _canonical(code)
    found = db.exec(_CLASS_BY_CODE, params={"code": code}).first() if code else None
    if found is None:
        raise JoinError("unknown_code", "We don't know that class code. Check it with your teacher.", 404)
    return _unexpired(*found)


def _canonical(code: str) -> str:
    return code.strip().upper() if _encodable(code) else ""


def _unexpired(school_class: SchoolClass, school: School) -> tuple[SchoolClass, School]:
    if school_class.join_code_expires_at < utcnow():
        raise JoinError("expired_code", "This class code has expired. Ask your teacher for a new one.", 410)
    return school_class, school


def _session_now(candidates: list[ExchangeSession], now: datetime) -> ExchangeSession:
    """The class's session that is live now, else the next one today (the student waits in its lobby)."""
    for exchange_session in candidates:
        if exchange_session.status != SessionStatus.SCHEDULED:
            return exchange_session
    for exchange_session in candidates:
        if (exchange_session.starts_at - now).total_seconds() < 12 * 3600:
            return exchange_session
    raise JoinError("no_session", "Your class has no session open right now. Ask your teacher when it starts.", 409)


@dataclass(frozen=True, slots=True)
class Admission:
    """A valid class code and the session its students join now."""

    school_class: SchoolClass
    school: School
    session: ExchangeSession


def admit(db: Session, code: str) -> Admission:
    """The class of a code and its session now: unknown, expired and no session are each a ``JoinError``."""
    code, now = _canonical(code), utcnow()
    rows = db.exec(_ADMISSION, params={"code": code, "now": now}).all() if code else []
    if not rows:
        raise JoinError("unknown_code", "We don't know that class code. Check it with your teacher.", 404)
    school_class, school = _unexpired(rows[0][0], rows[0][1])
    candidates = [exchange_session for _, _, exchange_session in rows if exchange_session is not None]
    return Admission(school_class, school, _session_now(candidates, now))


def admit_many(db: Session, codes: list[str]) -> list[Admission | JoinError]:
    """``admit`` for the joins of a burst at once (``BatchedCalls``): one trip, each distinct code looked up once."""
    found: dict[str, Admission | JoinError] = {}
    for code in dict.fromkeys(codes):
        try:
            found[code] = admit(db, code)
        except JoinError as exc:
            found[code] = exc
    # A caller's exception is raised in its own task: each gets its own instance (tracebacks are per raise).
    return [_fresh(found[code]) for code in codes]


def _fresh(result: Admission | JoinError) -> Admission | JoinError:
    if isinstance(result, JoinError):
        return JoinError(result.code, result.message, result.status, result.retry_after)
    return result


def enrol(
    db: Session,
    admission: Admission,
    name: str,
    country: str | None,
    languages: list[str] | None,
    earlier: tuple[int, ...] = (),
) -> JoinResult:
    """The new participant, and which of ``earlier`` (this browser's past participants) are banned from the session.

    One trip to a database thread for both: a join burst is bound by those trips.
    """
    participant = _new_participant(admission, name, country, languages)
    db.add(participant)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise JoinError("name_taken", "Someone in this session already uses that name. Pick another.", 409) from None
    db.expunge(participant)
    return _result(db, admission, participant, earlier)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """One join's ``enrol`` arguments, for ``enrol_many``."""

    admission: Admission
    name: str
    country: str | None
    languages: list[str] | None
    earlier: tuple[int, ...] = ()


def enrol_many(db: Session, joins: list[Enrolment]) -> list[JoinResult | JoinError]:
    """``enrol`` for the joins of a burst (``BatchedCalls``): one trip, one INSERT and one commit for all of them.

    The rows go in as one multi-row INSERT … RETURNING id (SQLAlchemy Core, not the ORM's flush: with the fully
    given fields of ``_new_participant``, 184 -> 118 µs of CPU a join in batches of 8). A name already taken fails
    the whole INSERT; the batch is then enrolled one by one, so only that join fails.
    """
    fresh: list[tuple[Enrolment, Participant]] = []
    results: list[JoinResult | JoinError | None] = []
    for join in joins:
        try:
            fresh.append((join, _new_participant(join.admission, join.name, join.country, join.languages)))
            results.append(None)
        except JoinError as exc:
            results.append(exc)
    if fresh:
        try:
            rows = [_row(participant) for _, participant in fresh]
            ids = db.connection().execute(_INSERT_PARTICIPANTS, rows).scalars().all()
            db.commit()
        except IntegrityError:
            db.rollback()
            return [_enrol_alone(db, join) for join in joins]
        for (_, participant), new_id in zip(fresh, ids, strict=True):
            participant.id = new_id
            make_transient_to_detached(participant)  # as ``enrol`` leaves it: stored, in no session
    enrolled = iter(_result(db, join.admission, participant, join.earlier) for join, participant in fresh)
    return [result if result is not None else next(enrolled) for result in results]


_COLUMNS = tuple(c.name for c in Participant.__table__.columns if c.name != "id")  # type: ignore[attr-defined]
_INSERT_PARTICIPANTS = insert(Participant).returning(col(Participant.id), sort_by_parameter_order=True)


def _row(participant: Participant) -> dict[str, object]:
    return {name: getattr(participant, name) for name in _COLUMNS}


def _enrol_alone(db: Session, join: Enrolment) -> JoinResult | JoinError:
    try:
        return enrol(db, join.admission, join.name, join.country, join.languages, join.earlier)
    except JoinError as exc:
        return exc


def _new_participant(admission: Admission, name: str, country: str | None, languages: list[str] | None) -> Participant:
    school_class, school = admission.school_class, admission.school
    country = (country or school.country).upper()
    if country not in COUNTRIES:
        raise JoinError("bad_country", "Pick your country from the list.")
    langs = [lang for lang in (languages or school_class.languages or school.languages) if lang in LANGUAGE_NAMES]
    if not langs:
        raise JoinError("bad_languages", "Pick at least one language you speak.")
    # Every field given: a default left to SQLModel costs a pydantic look-up each (~25 µs a participant in all).
    return Participant(
        session_id=admission.session.id or 0,
        class_id=school_class.id or 0,
        display_name=name,
        country=country,
        languages=langs[:5],
        token_nonce=new_nonce(),
        id=None,
        status=ParticipantStatus.AWAY,
        waiting_since=None,
        last_seen=None,
        room_id=None,
        show_translations=True,
        muted_until=None,
        banned=False,
        joined_at=utcnow(),
        erased=False,
    )


def _result(db: Session, admission: Admission, participant: Participant, earlier: tuple[int, ...]) -> JoinResult:
    # No refresh: every column has its value in Python (no server defaults) and the insert gave the id. Detached,
    # so that a later rollback in this session (another join of ``enrol_many``) does not expire the committed row.
    banned = banned_on_device(db, participant.session_id, earlier)
    return JoinResult(participant, admission.session, admission.school, admission.school_class, banned)


def preview(db: Session, code: str) -> tuple[SchoolClass, School]:
    return find_class(db, code)
