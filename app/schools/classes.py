"""Classes: create and edit, join codes (generate, expire, rotate), the class page; plus the school-area guards."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from app.access import coordinator_route, owned_class, owned_school
from app.countries import LANGUAGE_NAMES
from app.forms import field, languages_of
from app.i18n import message_of
from app.models import Exchange, ExchangeClass, School, SchoolClass
from app.schools.availability import AvailabilityError, format_windows, parse_age_band, parse_windows
from app.schools.calendar_feed import feed_url
from app.settings import Settings
from app.templating import render
from rooms.clock import utcnow

# No 0/O, 1/I/L: codes are read aloud and copied from a board.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
Endpoint = Callable[[Request], Awaitable[Response]]


def join_url(settings: Settings, code: str | None = None) -> str:
    """The absolute join address (``BRIDGEWAY_BASE_URL`` + ``/join``), with the code prefilled when given."""
    base = f"{settings.base_url.rstrip('/')}/join"
    return f"{base}?{urlencode({'code': code})}" if code else base


def new_code(db: Session) -> str:
    """A fresh join code (``secrets``, unambiguous alphabet) not used by any class."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.exec(select(SchoolClass.id).where(SchoolClass.join_code == code)).first() is None:
            return code


def read_class_form(form: FormData) -> tuple[dict[str, Any], list[str]]:
    """Validate the class form; returns the clean values and every problem found (nothing is saved on errors)."""
    errors: list[str] = []
    name = field(form, "name", 120)
    if not name or len(name) > 120:
        errors.append("Give the class a name of 1 to 120 characters.")
    age_band = field(form, "age_band", 16)
    try:
        low, high = parse_age_band(age_band)
        age_band = f"{low}-{high}"
    except AvailabilityError as exc:
        errors.append(message_of(exc))
    size_text = field(form, "size", 4)
    size = int(size_text) if size_text.isdigit() else 0
    if not 1 <= size <= 200:
        errors.append("Class size must be a whole number from 1 to 200.")
    languages = languages_of(form, errors)
    try:
        availability = parse_windows(field(form, "availability", 4000))
    except AvailabilityError as exc:
        availability = []
        errors.append(message_of(exc))
    values = {"name": name, "age_band": age_band, "size": size, "languages": languages, "availability": availability}
    return values, errors


def _form_context(values: dict[str, Any], errors: list[str], school: School, action: str) -> dict[str, Any]:
    shown = dict(values)
    shown["availability_text"] = format_windows(values.get("availability", []))
    return {"values": shown, "errors": errors, "school": school, "action": action, "language_names": LANGUAGE_NAMES}


async def new_class_page(request: Request) -> Response:
    """``GET /schools/{id}/classes/new``: the class form, languages preset from the school."""
    school, _, _ = await owned_school(request)
    values = {"name": "", "age_band": "", "size": 25, "languages": school.languages, "availability": []}
    return render(request, "schools/class_form.html", _form_context(values, [], school, "new"))


async def create_class(request: Request) -> Response:
    """``POST /schools/{id}/classes/new``: create the class with a new join code valid for join_code_days."""
    school, _, svc = await owned_school(request)
    values, errors = read_class_form(await request.form())
    if errors:
        return render(request, "schools/class_form.html", _form_context(values, errors, school, "new"), 400)

    def create(db: Session) -> int:
        school_class = SchoolClass(
            school_id=school.id or 0,
            join_code=new_code(db),
            join_code_expires_at=utcnow() + timedelta(days=svc.settings.join_code_days),
            **values,
        )
        db.add(school_class)
        db.commit()
        assert school_class.id is not None
        return school_class.id

    class_id = await svc.db.run(create)
    return RedirectResponse(f"/classes/{class_id}", status_code=303)


async def edit_class_page(request: Request) -> Response:
    owned = await owned_class(request)
    values = owned.school_class.model_dump()
    return render(
        request,
        "schools/class_form.html",
        _form_context(values, [], owned.school, "edit") | {"class_id": owned.class_id},
    )


async def update_class(request: Request) -> Response:
    """``POST /classes/{id}/edit``: change name, ages, size, languages, availability (the code stays)."""
    owned = await owned_class(request)
    values, errors = read_class_form(await request.form())
    if errors:
        context = _form_context(values, errors, owned.school, "edit") | {"class_id": owned.class_id}
        return render(request, "schools/class_form.html", context, 400)

    def update(db: Session) -> None:
        school_class = db.get(SchoolClass, owned.class_id)
        assert school_class is not None
        for key, value in values.items():
            setattr(school_class, key, value)
        db.add(school_class)
        db.commit()

    await owned.svc.db.run(update)
    return RedirectResponse(f"/classes/{owned.class_id}", status_code=303)


async def rotate_code(request: Request) -> Response:
    """``POST /classes/{id}/code``: a new join code at once; the old one stops working immediately."""
    owned = await owned_class(request)

    def rotate(db: Session) -> None:
        school_class = db.get(SchoolClass, owned.class_id)
        assert school_class is not None
        school_class.join_code = new_code(db)
        school_class.join_code_expires_at = utcnow() + timedelta(days=owned.svc.settings.join_code_days)
        db.add(school_class)
        db.commit()

    await owned.svc.db.run(rotate)
    return RedirectResponse(f"/classes/{owned.class_id}#code", status_code=303)


def class_exchanges(db: Session, class_id: int) -> list[dict[str, Any]]:
    """The exchanges this class takes part in, with the partner classes' names and schools."""
    rows = db.exec(
        select(Exchange)
        .join(ExchangeClass, col(ExchangeClass.exchange_id) == col(Exchange.id))
        .where(ExchangeClass.class_id == class_id)
        .order_by(col(Exchange.created_at).desc())
    ).all()
    result = []
    for exchange in rows:
        partners = db.exec(
            select(SchoolClass, School)
            .join(ExchangeClass, col(ExchangeClass.class_id) == col(SchoolClass.id))
            .join(School, col(School.id) == col(SchoolClass.school_id))
            .where(ExchangeClass.exchange_id == exchange.id, ExchangeClass.class_id != class_id)
        ).all()
        result.append({"exchange": exchange, "partners": [f"{c.name}, {s.name} ({s.country})" for c, s in partners]})
    return result


async def class_page(request: Request) -> Response:
    """``GET /classes/{id}``: join code and expiry, availability, exchanges, calendar links."""
    owned = await owned_class(request)
    exchanges = await owned.svc.db.run(class_exchanges, owned.class_id)
    context = {
        "school": owned.school,
        "c": owned.school_class,
        "windows": format_windows(owned.school_class.availability).splitlines(),
        "expired": owned.school_class.join_code_expires_at <= utcnow(),
        "exchanges": exchanges,
        "feed_url": await feed_url(owned.svc.settings, owned.class_id),
        "join_address": join_url(owned.svc.settings),
        "join_link": join_url(owned.svc.settings, owned.school_class.join_code),
        "language_names": LANGUAGE_NAMES,
    }
    return render(request, "schools/class.html", context)


routes: list[BaseRoute] = [
    coordinator_route("/schools/{school_id:int}/classes/new", new_class_page, ["GET"]),
    coordinator_route("/schools/{school_id:int}/classes/new", create_class, ["POST"]),
    coordinator_route("/classes/{class_id:int}", class_page, ["GET"]),
    coordinator_route("/classes/{class_id:int}/edit", edit_class_page, ["GET"]),
    coordinator_route("/classes/{class_id:int}/edit", update_class, ["POST"]),
    coordinator_route("/classes/{class_id:int}/code", rotate_code, ["POST"]),
]
