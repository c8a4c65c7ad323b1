"""Schools: the list, registration and editing, the school page and its staff accounts; aggregates the area's routes."""

from __future__ import annotations

import re
import secrets
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from app.access import coordinator_route, owned_school, staff_user
from app.countries import COUNTRIES, LANGUAGE_NAMES
from app.forms import field, languages_of
from app.i18n import Phrase, message_of
from app.models import Role, School, SchoolClass, User
from app.schools import classes, exchanges, ics, join_card, notifications, partners, scheduling
from app.schools.availability import AvailabilityError, format_holidays, parse_holidays, timezone_names, zone
from app.security import hash_password
from app.templating import render

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
STAFF_ROLES = (Role.COORDINATOR, Role.FACILITATOR)
MIN_PASSWORD = 10


def read_school_form(form: FormData) -> tuple[dict[str, Any], list[str]]:
    """Validate the school form; returns clean values and every problem (nothing is saved on errors)."""
    errors: list[str] = []
    name = field(form, "name")
    if not name or len(name) > 200:
        errors.append("Give the school a name of 1 to 200 characters.")
    country = field(form, "country", 2).upper()
    if country not in COUNTRIES:
        errors.append("Pick the school's country from the list.")
    languages = languages_of(form, errors)
    timezone = field(form, "timezone", 64)
    try:
        zone(timezone)
    except AvailabilityError as exc:
        errors.append(message_of(exc))
    email = field(form, "safeguarding_email", 254)
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors.append("The safeguarding contact must be an e-mail address.")
    holidays_text = field(form, "holidays", 4000)
    try:
        holidays = parse_holidays(holidays_text)
    except AvailabilityError as exc:
        holidays = []
        errors.append(message_of(exc))
    values = {
        "name": name,
        "country": country,
        "languages": languages,
        "timezone": timezone,
        "safeguarding_email": email or None,
        "holidays": holidays,
    }
    return values, errors


def _form(values: dict[str, Any], errors: list[str], school_id: int | None = None) -> dict[str, Any]:
    shown = dict(values) | {"holidays_text": format_holidays(values.get("holidays", []))}
    return {
        "values": shown,
        "errors": errors,
        "school_id": school_id,
        "countries": COUNTRIES,
        "language_names": LANGUAGE_NAMES,
        "timezones": timezone_names(),
    }


def _schools_for(db: Session, user: User) -> list[dict[str, Any]]:
    query = select(School).order_by(col(School.name))
    if user.role != Role.ADMIN:
        query = query.where(School.id == (user.school_id if user.school_id is not None else -1))
    result = []
    for school in db.exec(query).all():
        count = len(db.exec(select(SchoolClass.id).where(SchoolClass.school_id == school.id)).all())
        result.append({"school": school, "classes": count, "country": COUNTRIES.get(school.country, school.country)})
    return result


async def school_list(request: Request) -> Response:
    """``GET /schools``: admins see every school, a coordinator their own (or the link to register one)."""
    user, svc = await staff_user(request)
    schools = await svc.db.run(_schools_for, user)
    can_register = user.role == Role.ADMIN or user.school_id is None
    return render(request, "schools/list.html", {"schools": schools, "can_register": can_register})


def _may_register(user: User) -> None:
    if user.role != Role.ADMIN and user.school_id is not None:
        raise HTTPException(403, "You already coordinate a school; an admin can register another.")


async def register_page(request: Request) -> Response:
    user, _ = await staff_user(request)
    _may_register(user)
    values = {"name": "", "country": "", "languages": [], "timezone": "", "safeguarding_email": "", "holidays": []}
    return render(request, "schools/school_form.html", _form(values, []))


async def register_school(request: Request) -> Response:
    """``POST /schools/new``: register a school; a coordinator who registers it becomes its coordinator."""
    user, svc = await staff_user(request)
    _may_register(user)
    values, errors = read_school_form(await request.form())
    if errors:
        return render(request, "schools/school_form.html", _form(values, errors), 400)

    def create(db: Session) -> int:
        school = School(**values)
        db.add(school)
        db.flush()
        if user.role == Role.COORDINATOR:
            me = db.get(User, user.id)
            assert me is not None
            me.school_id = school.id
            db.add(me)
        db.commit()
        assert school.id is not None
        return school.id

    school_id = await svc.db.run(create)
    return RedirectResponse(f"/schools/{school_id}", status_code=303)


async def edit_page(request: Request) -> Response:
    school, _, _ = await owned_school(request)
    return render(request, "schools/school_form.html", _form(school.model_dump(), [], school.id))


async def update_school(request: Request) -> Response:
    """``POST /schools/{id}/edit``: change the school's details, time zone or holidays."""
    school, _, svc = await owned_school(request)
    values, errors = read_school_form(await request.form())
    if errors:
        return render(request, "schools/school_form.html", _form(values, errors, school.id), 400)

    def update(db: Session) -> None:
        row = db.get(School, school.id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        db.add(row)
        db.commit()

    await svc.db.run(update)
    return RedirectResponse(f"/schools/{school.id}", status_code=303)


def _school_page(db: Session, school_id: int) -> dict[str, Any]:
    rows = db.exec(select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(col(SchoolClass.name)))
    return {"classes": rows.all(), "exchanges": exchanges.school_exchanges(db, school_id)}


async def school_page(request: Request) -> Response:
    """``GET /schools/{id}``: details, classes, exchanges (with proposals waiting for an answer)."""
    school, _, svc = await owned_school(request)
    data = await svc.db.run(_school_page, school.id or 0)
    context = {
        "school": school,
        "country": COUNTRIES.get(school.country, school.country),
        "language_names": LANGUAGE_NAMES,
        "holidays": format_holidays(school.holidays).splitlines(),
        **data,
    }
    return render(request, "schools/school.html", context)


def _staff_of(db: Session, school_id: int) -> list[User]:
    return list(db.exec(select(User).where(User.school_id == school_id).order_by(col(User.username))).all())


async def _staff_render(
    request: Request, school: School, errors: list[str], status: int = 200, **extra: Any
) -> Response:
    _, svc = await staff_user(request)
    users = await svc.db.run(_staff_of, school.id or 0)
    context = {"school": school, "users": users, "errors": errors, "values": extra.pop("values", {}), **extra}
    return render(request, "schools/staff.html", context, status)


async def staff_page(request: Request) -> Response:
    """``GET /schools/{id}/staff``: the school's staff accounts and the form to add one."""
    school, _, _ = await owned_school(request)
    return await _staff_render(request, school, [])


async def create_staff(request: Request) -> Response:
    """``POST /schools/{id}/staff``: add a coordinator or facilitator; a blank password is generated, shown once."""
    school, _, svc = await owned_school(request)
    form = await request.form()
    errors: list[str] = []
    username = field(form, "username", 80).lower()
    display_name = field(form, "display_name", 120) or username
    role_text = field(form, "role", 20)
    password = form.get("password", "")
    password = password if isinstance(password, str) else ""
    if not USERNAME_RE.match(username):
        errors.append("Usernames are 3 to 80 lower-case letters, digits, dots, dashes or underscores.")
    if role_text not in {r.value for r in STAFF_ROLES}:
        errors.append("Pick the role: coordinator or facilitator.")
    if len(display_name) > 120:
        errors.append("The display name is longer than 120 characters.")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    elif not MIN_PASSWORD <= len(password) <= 200:
        errors.append(
            Phrase("Passwords are %(n)s to 200 characters (or leave it blank to generate one).", n=MIN_PASSWORD)
        )
    taken = await svc.db.run(lambda s: s.exec(select(User.id).where(User.username == username)).first())
    if taken is not None:
        errors.append("That username is taken.")
    values = {"username": username, "display_name": display_name, "role": role_text}
    if errors:
        return await _staff_render(request, school, errors, 400, values=values)
    hashed = await anyio.to_thread.run_sync(hash_password, password)  # argon2 is slow by design

    def create(db: Session) -> bool:
        user = User(username=username, display_name=display_name, password_hash=hashed, role=Role(role_text))
        user.school_id = school.id
        db.add(user)
        try:
            db.commit()
        except IntegrityError:  # taken between the check above and now
            db.rollback()
            return False
        return True

    if not await svc.db.run(create):
        return await _staff_render(request, school, ["That username is taken."], 400, values=values)
    return await _staff_render(request, school, [], created=username, password=password if generated else None)


routes: list[BaseRoute] = [
    coordinator_route("/schools", school_list, ["GET"]),
    coordinator_route("/schools/new", register_page, ["GET"]),
    coordinator_route("/schools/new", register_school, ["POST"]),
    coordinator_route("/schools/{school_id:int}", school_page, ["GET"]),
    coordinator_route("/schools/{school_id:int}/edit", edit_page, ["GET"]),
    coordinator_route("/schools/{school_id:int}/edit", update_school, ["POST"]),
    coordinator_route("/schools/{school_id:int}/staff", staff_page, ["GET"]),
    coordinator_route("/schools/{school_id:int}/staff", create_staff, ["POST"]),
    *classes.routes,
    *partners.routes,
    *exchanges.routes,
    *scheduling.routes,
    *ics.routes,
    *join_card.routes,
    *notifications.routes,
]
