"""Scheduling an accepted exchange's sessions: local-time entry stored as UTC, reschedule and cancel with a notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from app.access import coordinator_route
from app.forms import field
from app.i18n import Phrase, gettext, message_of, pick_language
from app.models import Exchange, ExchangeStatus
from app.schools.availability import AvailabilityError, zone
from app.schools.exchanges import OwnedExchange, facilitator_choices, owned_exchange, render_exchange
from app.schools.notifications import ExchangeEvent, notify
from app.templating import format_when
from rooms.clock import utcnow
from rooms.models import ExchangeSession, SessionStatus

LIVE_MAX = timedelta(hours=12)
ASYNC_DEFAULT = timedelta(days=7)
ASYNC_MAX = timedelta(days=31)
PAST_GRACE = timedelta(minutes=1)  # "this minute" still counts as now
INACTIVE = (SessionStatus.CANCELLED, SessionStatus.CLOSED)


class ScheduleError(ValueError):
    """A reason the requested times cannot be used; nothing was changed."""


def local_to_utc(day: str, clock: str, tz: str) -> datetime:
    """A date and wall-clock time in ``tz`` as UTC; rejects times skipped by a daylight-saving change."""
    place = zone(tz)
    try:
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=place)
    except ValueError:
        raise ScheduleError(
            Phrase("'%(day)s %(clock)s' is not a date (YYYY-MM-DD) and time (HH:MM).", day=day, clock=clock)
        ) from None
    back = moment.astimezone(UTC).astimezone(place)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise ScheduleError(
            Phrase(
                "%(day)s %(clock)s does not exist in %(tz)s: the clocks go forward then. Pick another time.",
                day=day,
                clock=clock,
                tz=tz,
            )
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Times:
    starts_at: datetime
    ends_at: datetime
    timezone: str


def read_times(form: FormData, mode: str, now: datetime) -> Times:
    """Start and end entered in ``timezone`` (the coordinator's school's by default); async defaults to 7 days."""
    tz = field(form, "timezone", 64)
    try:
        zone(tz)
        starts = local_to_utc(field(form, "start_date", 10), field(form, "start_time", 8), tz)
        end_date, end_time = field(form, "end_date", 10), field(form, "end_time", 8)
        if mode == "async" and not end_date and not end_time:
            ends = starts + ASYNC_DEFAULT
        else:
            ends = local_to_utc(end_date or field(form, "start_date", 10), end_time, tz)
    except AvailabilityError as exc:
        raise ScheduleError(message_of(exc)) from None
    if ends <= starts:
        raise ScheduleError("The end must be after the start.")
    if starts < now - PAST_GRACE:
        raise ScheduleError("The start is in the past.")
    longest = ASYNC_MAX if mode == "async" else LIVE_MAX
    if ends - starts > longest:
        if mode == "async":
            raise ScheduleError(Phrase("An asynchronous session lasts at most %(n)s days.", n=longest.days))
        raise ScheduleError(Phrase("A live session lasts at most %(n)s hours.", n=longest.seconds // 3600))
    return Times(starts, ends, tz)


def clash(db: Session, exchange_id: int, times: Times, ignore: int | None = None) -> ExchangeSession | None:
    """Another active session of the same exchange overlapping ``times``."""
    query = select(ExchangeSession).where(
        ExchangeSession.exchange_id == exchange_id,
        col(ExchangeSession.status).not_in(INACTIVE),
        ExchangeSession.starts_at < times.ends_at,
        ExchangeSession.ends_at > times.starts_at,
    )
    if ignore is not None:
        query = query.where(ExchangeSession.id != ignore)
    return db.exec(query).first()


def _facilitator(form: FormData, db: Session, owned: OwnedExchange) -> int | None:
    text = field(form, "facilitator_id", 12)
    if not text:
        return None
    allowed = {u.id for u in facilitator_choices(db, owned.sides)}
    if not text.isdigit() or int(text) not in allowed:
        raise ScheduleError("Pick the facilitator from the list of staff of the taking-part schools.")
    return int(text)


def _values(form: FormData) -> dict[str, Any]:
    names = ("start_date", "start_time", "end_date", "end_time", "timezone", "facilitator_id", "topic", "notice")
    return {name: field(form, name, 300) for name in names}


async def schedule(request: Request) -> Response:
    """``POST /exchanges/{id}/sessions``: add a session to an accepted exchange; rules are copied into the row."""
    owned = await owned_exchange(request)
    if owned.exchange.status != ExchangeStatus.ACCEPTED:
        raise HTTPException(409, "Sessions can be scheduled once both schools have accepted the exchange.")
    form = await request.form()
    topic = field(form, "topic", 300)
    language = pick_language(request)

    def create(db: Session) -> str | None:
        exchange = db.get(Exchange, owned.exchange_id)
        assert exchange is not None
        try:
            times = read_times(form, exchange.mode, utcnow())
            facilitator_id = _facilitator(form, db, owned)
            if len(topic) > 300:
                raise ScheduleError("The topic is longer than 300 characters.")
            other = clash(db, owned.exchange_id, times)
            if other is not None:
                raise ScheduleError(
                    Phrase(
                        "It overlaps session %(id)s of this exchange (%(when)s).",
                        id=other.id,
                        when=format_when(other.starts_at, times.timezone, language),
                    )
                )
        except ScheduleError as exc:
            return message_of(exc)
        db.add(
            ExchangeSession(
                exchange_id=owned.exchange_id,
                starts_at=times.starts_at,
                ends_at=times.ends_at,
                topic=topic,
                title=exchange.title,
                room_size=exchange.room_size,
                max_per_class=exchange.max_per_class,
                moderation=dict(exchange.moderation),
                facilitator_id=facilitator_id,
            )
        )
        db.commit()
        return None

    problem = await owned.svc.db.run(create)
    if problem is not None:
        return await render_exchange(request, owned, [problem], _values(form) | {"form": "new"}, 400)
    return RedirectResponse(f"/exchanges/{owned.exchange_id}#sessions", status_code=303)


def _not_scheduled(status: SessionStatus) -> Phrase:
    return Phrase("This session is %(status)s; only scheduled sessions can change.", status=status.value)


async def _scheduled(owned: OwnedExchange, session_id: int) -> ExchangeSession:
    def load(db: Session) -> ExchangeSession | None:
        return db.get(ExchangeSession, session_id)

    found = await owned.svc.db.run(load)
    if found is None or found.exchange_id != owned.exchange_id:
        raise HTTPException(404, "We could not find that session in this exchange.")
    if found.status != SessionStatus.SCHEDULED:
        raise HTTPException(409, _not_scheduled(found.status))
    return found


async def _tell_waiting_students(owned: OwnedExchange, session_id: int) -> None:
    # Students may already wait in the lobby of a session starting within 12 hours.
    await owned.svc.rooms.notices.session_event(session_id, "session_closed")


async def reschedule(request: Request) -> Response:
    """``POST /exchanges/{id}/sessions/{sid}/reschedule``: new times (same rules as scheduling) and a notice."""
    owned = await owned_exchange(request)
    current = await _scheduled(owned, int(request.path_params["session_id"]))
    form = await request.form()
    session_id = current.id or 0
    language = pick_language(request)  # a notice left empty is written in the language of whoever moved it

    moved: list[Times] = []

    def move(db: Session) -> str | None:
        try:
            times = read_times(form, owned.exchange.mode, utcnow())
            other = clash(db, owned.exchange_id, times, ignore=session_id)
            if other is not None:
                raise ScheduleError(Phrase("It overlaps session %(id)s of this exchange.", id=other.id))
        except ScheduleError as exc:
            return message_of(exc)
        row = db.get(ExchangeSession, session_id)
        if row is None or row.status != SessionStatus.SCHEDULED:
            return "This session changed meanwhile; reload the page."
        starts, ends = (format_when(t, times.timezone, language) for t in (times.starts_at, times.ends_at))
        notice = field(form, "notice", 500) or gettext(
            language, Phrase("Moved to %(starts)s - %(ends)s.", starts=starts, ends=ends)
        )
        row.starts_at, row.ends_at, row.notice = times.starts_at, times.ends_at, notice[:500]
        db.add(row)
        db.commit()
        moved.append(times)
        return None

    problem = await owned.svc.db.run(move)
    if problem is not None:
        values = _values(form) | {"form": f"reschedule-{session_id}"}
        return await render_exchange(request, owned, [problem], values, 400)
    event = ExchangeEvent(
        "moved",
        owned.exchange_id,
        current.title or owned.exchange.title,
        owned.user,
        owned.acting_school(),
        moved[0].starts_at,
        moved[0].ends_at,
        field(form, "notice", 500),
    )
    await notify(owned.svc, event)
    return RedirectResponse(f"/exchanges/{owned.exchange_id}#sessions", status_code=303)


async def cancel(request: Request) -> Response:
    """``POST /exchanges/{id}/sessions/{sid}/cancel``: status cancelled, with the notice both schools see."""
    owned = await owned_exchange(request)
    current = await _scheduled(owned, int(request.path_params["session_id"]))
    form = await request.form()
    notice = field(form, "notice", 500)[:500] or "This session was cancelled."
    session_id = current.id or 0

    def drop(db: Session) -> SessionStatus:
        row = db.get(ExchangeSession, session_id)
        assert row is not None
        if row.status != SessionStatus.SCHEDULED:  # opened by the scheduler meanwhile
            return row.status
        row.status, row.notice = SessionStatus.CANCELLED, notice
        db.add(row)
        db.commit()
        return SessionStatus.SCHEDULED

    found = await owned.svc.db.run(drop)
    if found != SessionStatus.SCHEDULED:
        raise HTTPException(409, _not_scheduled(found))
    await _tell_waiting_students(owned, session_id)
    title = current.title or owned.exchange.title
    school = owned.acting_school()
    event = ExchangeEvent("cancelled", owned.exchange_id, title, owned.user, school, current.starts_at, None, notice)
    await notify(owned.svc, event)
    return RedirectResponse(f"/exchanges/{owned.exchange_id}#sessions", status_code=303)


routes: list[BaseRoute] = [
    coordinator_route("/exchanges/{exchange_id:int}/sessions", schedule, ["POST"]),
    coordinator_route("/exchanges/{exchange_id:int}/sessions/{session_id:int}/reschedule", reschedule, ["POST"]),
    coordinator_route("/exchanges/{exchange_id:int}/sessions/{session_id:int}/cancel", cancel, ["POST"]),
]
