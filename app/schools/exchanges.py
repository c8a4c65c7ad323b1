"""An exchange between classes: its page, accepting or declining it, and its group rules (proposing: partners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from app.access import can_manage_school, coordinator_route, staff_user
from app.countries import COUNTRIES
from app.forms import field
from app.i18n import Phrase
from app.models import Exchange, ExchangeClass, ExchangeStatus, Role, School, SchoolClass, User
from app.schools.notifications import ExchangeEvent, notify
from app.services import Services
from app.templating import render
from rooms.models import ExchangeSession, SessionStatus

MODES = ("live", "async")


def read_rules(form: FormData, class_count: int, default_room_size: int = 2) -> tuple[dict[str, Any], list[str]]:
    """Mode and group rules: rooms of 2-4 (blank: BRIDGEWAY_ROOM_SIZE), at most ``max_per_class`` of one class."""
    errors: list[str] = []
    mode = field(form, "mode", 8) or "live"
    if mode not in MODES:
        errors.append("Pick the mode: live or async.")
    size_text = field(form, "room_size", 2)
    room_size = (int(size_text) if size_text.isdigit() else 0) if size_text else default_room_size
    if not 2 <= room_size <= 4:
        errors.append("Rooms hold 2 to 4 students.")
    limit_text = field(form, "max_per_class", 2)
    max_per_class: int | None = None
    if limit_text:
        max_per_class = int(limit_text) if limit_text.isdigit() else 0
        if not 1 <= max_per_class <= 4:
            errors.append("At most 1 to 4 students of one class per room (or leave it blank).")
        elif 2 <= room_size <= 4 and max_per_class * class_count < room_size:
            errors.append(
                Phrase(
                    "With %(classes)s classes and at most %(most)s per class, a room cannot hold %(size)s.",
                    classes=class_count,
                    most=max_per_class,
                    size=room_size,
                )
            )
    return {"mode": mode, "room_size": room_size, "max_per_class": max_per_class}, errors


@dataclass(frozen=True, slots=True)
class Side:
    """One class in an exchange, with its school and whether it accepted."""

    school_class: SchoolClass
    school: School
    accepted: bool


@dataclass(frozen=True, slots=True)
class OwnedExchange:
    exchange: Exchange
    sides: list[Side]
    user: User
    svc: Services

    @property
    def exchange_id(self) -> int:
        assert self.exchange.id is not None
        return self.exchange.id

    def pending_for_user(self) -> list[Side]:
        """Sides that have not accepted and that this user answers for."""
        return [s for s in self.sides if not s.accepted and can_manage_school(self.user, s.school.id or 0)]

    def acting_school(self) -> str:
        """The user's school name as partners know it (admins act for the first pending side, else the proposer)."""
        for side in self.sides:
            if side.school.id == self.user.school_id:
                return side.school.name
        pending = self.pending_for_user()
        return (pending or self.sides)[0].school.name if self.sides else "Bridgeway"

    def home_timezone(self) -> str:
        """The user's school time zone, else (admins) the proposing side's."""
        for side in self.sides:
            if side.school.id == self.user.school_id:
                return side.school.timezone
        return self.sides[0].school.timezone if self.sides else "UTC"


def _sides(db: Session, exchange_id: int) -> list[Side]:
    rows = db.exec(
        select(ExchangeClass, SchoolClass, School)
        .join(SchoolClass, col(SchoolClass.id) == col(ExchangeClass.class_id))
        .join(School, col(School.id) == col(SchoolClass.school_id))
        .where(ExchangeClass.exchange_id == exchange_id)
        .order_by(col(ExchangeClass.accepted).desc(), col(SchoolClass.id))
    ).all()
    return [Side(c, s, link.accepted) for link, c, s in rows]


async def owned_exchange(request: Request) -> OwnedExchange:
    """``{exchange_id}`` if the user's school takes part (admins: any): 404 unknown, 403 not theirs."""
    user, svc = await staff_user(request)
    exchange_id = int(request.path_params["exchange_id"])

    def load(db: Session) -> tuple[Exchange | None, list[Side]]:
        return db.get(Exchange, exchange_id), _sides(db, exchange_id)

    exchange, sides = await svc.db.run(load)
    if exchange is None:
        raise HTTPException(404, "We could not find that exchange.")
    if user.role != Role.ADMIN and not any(s.school.id == user.school_id for s in sides):
        raise HTTPException(403, "Your school does not take part in this exchange.")
    return OwnedExchange(exchange, sides, user, svc)


def session_rows(db: Session, exchange_id: int, sides: list[Side]) -> list[dict[str, Any]]:
    """The exchange's sessions with start and end on every taking-part school's clock."""
    zones = list(dict.fromkeys(s.school.timezone for s in sides))
    sessions = db.exec(
        select(ExchangeSession)
        .where(ExchangeSession.exchange_id == exchange_id)
        .order_by(col(ExchangeSession.starts_at))
    ).all()
    wanted = {s.facilitator_id for s in sessions if s.facilitator_id is not None}
    facilitators = {u.id: u.display_name for u in db.exec(select(User).where(col(User.id).in_(wanted))).all()}
    return [
        {
            "s": s,
            "times": [(tz, s.starts_at, s.ends_at) for tz in zones],
            "facilitator": facilitators.get(s.facilitator_id) if s.facilitator_id else None,
            "editable": s.status == SessionStatus.SCHEDULED,
        }
        for s in sessions
    ]


def facilitator_choices(db: Session, sides: list[Side]) -> list[User]:
    """Staff of the taking-part schools who may facilitate a session."""
    school_ids = [s.school.id for s in sides]
    return list(db.exec(select(User).where(col(User.school_id).in_(school_ids)).order_by(col(User.display_name))).all())


async def render_exchange(
    request: Request,
    owned: OwnedExchange,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The exchange page; the scheduling module re-renders it with its form's errors."""

    def load(db: Session) -> tuple[list[dict[str, Any]], list[User]]:
        return session_rows(db, owned.exchange_id, owned.sides), facilitator_choices(db, owned.sides)

    sessions, choices = await owned.svc.db.run(load)
    context = {
        "x": owned.exchange,
        "sides": owned.sides,
        "pending": owned.pending_for_user(),
        "sessions": sessions,
        "facilitators": choices,
        "home_tz": owned.home_timezone(),
        "errors": errors or [],
        "values": values or {},
        "countries": COUNTRIES,
    }
    return render(request, "schools/exchange.html", context, status)


async def exchange_page(request: Request) -> Response:
    """``GET /exchanges/{id}``: classes, status, rules, sessions on both clocks, and the forms to act on them."""
    return await render_exchange(request, await owned_exchange(request))


async def answer(request: Request) -> Response:
    """``POST /exchanges/{id}/accept`` or ``/decline``: only the invited school (or an admin) answers a proposal."""
    owned = await owned_exchange(request)
    accept = request.url.path.endswith("/accept")
    if owned.exchange.status != ExchangeStatus.PROPOSED:
        raise HTTPException(409, Phrase("This exchange is already %(status)s.", status=owned.exchange.status.value))
    pending = owned.pending_for_user()
    if not pending:
        raise HTTPException(403, "Only the invited school can answer this proposal.")

    answered = {s.school_class.id for s in pending}

    def record(db: Session) -> None:
        for side in pending:
            link = db.get(ExchangeClass, (owned.exchange_id, side.school_class.id))
            assert link is not None
            link.accepted = accept
            db.add(link)
        exchange = db.get(Exchange, owned.exchange_id)
        assert exchange is not None
        if not accept:
            exchange.status = ExchangeStatus.DECLINED
        elif all(s.accepted or s.school_class.id in answered for s in owned.sides):
            exchange.status = ExchangeStatus.ACCEPTED
        db.add(exchange)
        db.commit()

    await owned.svc.db.run(record)
    kind = "accepted" if accept else "declined"
    await notify(
        owned.svc, ExchangeEvent(kind, owned.exchange_id, owned.exchange.title, owned.user, pending[0].school.name)
    )
    return RedirectResponse(f"/exchanges/{owned.exchange_id}", status_code=303)


async def update_rules(request: Request) -> Response:
    """``POST /exchanges/{id}/rules``: mode, room size and per-class limit; copied to sessions not yet started."""
    owned = await owned_exchange(request)
    if owned.exchange.status == ExchangeStatus.DECLINED:
        raise HTTPException(409, "This exchange was declined.")
    rules, errors = read_rules(await request.form(), len(owned.sides))
    if errors:
        return await render_exchange(request, owned, errors, status=400)

    def save(db: Session) -> None:
        exchange = db.get(Exchange, owned.exchange_id)
        assert exchange is not None
        for key, value in rules.items():
            setattr(exchange, key, value)
        db.add(exchange)
        waiting = db.exec(
            select(ExchangeSession).where(
                ExchangeSession.exchange_id == owned.exchange_id, ExchangeSession.status == SessionStatus.SCHEDULED
            )
        ).all()
        for exchange_session in waiting:  # live ones keep the rules their rooms were built with
            exchange_session.room_size, exchange_session.max_per_class = exchange.room_size, exchange.max_per_class
            db.add(exchange_session)
        db.commit()

    await owned.svc.db.run(save)
    return RedirectResponse(f"/exchanges/{owned.exchange_id}", status_code=303)


def school_exchanges(db: Session, school_id: int) -> list[dict[str, Any]]:
    """The exchanges a school's classes take part in, with partners and whether this school must answer."""
    class_ids = select(SchoolClass.id).where(SchoolClass.school_id == school_id)
    exchange_ids = select(ExchangeClass.exchange_id).where(col(ExchangeClass.class_id).in_(class_ids))
    rows = db.exec(select(Exchange).where(col(Exchange.id).in_(exchange_ids)).order_by(col(Exchange.created_at).desc()))
    result = []
    for exchange in rows.all():
        sides = _sides(db, exchange.id or 0)
        result.append(
            {
                "x": exchange,
                "sides": sides,
                "awaiting_us": exchange.status == ExchangeStatus.PROPOSED
                and any(not s.accepted and s.school.id == school_id for s in sides),
            }
        )
    return result


routes: list[BaseRoute] = [
    coordinator_route("/exchanges/{exchange_id:int}", exchange_page, ["GET"]),
    coordinator_route("/exchanges/{exchange_id:int}/accept", answer, ["POST"]),
    coordinator_route("/exchanges/{exchange_id:int}/decline", answer, ["POST"]),
    coordinator_route("/exchanges/{exchange_id:int}/rules", update_rules, ["POST"]),
]
