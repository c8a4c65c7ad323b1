"""Partner finding: classes abroad ranked by common weekly time, languages and ages; proposing an exchange."""

from __future__ import annotations

from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from app.access import coordinator_route, owned_class
from app.countries import COUNTRIES, LANGUAGE_NAMES
from app.forms import field
from app.models import Exchange, ExchangeClass, ExchangeStatus, School, SchoolClass
from app.schools.exchanges import read_rules
from app.schools.notifications import ExchangeEvent, notify
from app.schools.overlaps import next_weeks
from app.schools.partner_fit import ClassProfile, Match, rank
from app.templating import render
from rooms.clock import utcnow

DEFAULT_WEEKS, MAX_WEEKS = 4, 12


def profile(school_class: SchoolClass, school: School) -> ClassProfile:
    return ClassProfile(
        class_id=school_class.id or 0,
        name=school_class.name,
        school_name=school.name,
        country=school.country,
        timezone=school.timezone,
        age_band=school_class.age_band,
        languages=tuple(school_class.languages or school.languages),
        windows=tuple(school_class.availability),
        holidays=tuple((h[0], h[1]) for h in school.holidays if len(h) == 2),
    )


def _candidates(db: Session, school_class: SchoolClass, school: School) -> tuple[list[ClassProfile], dict[int, int]]:
    rows = db.exec(
        select(SchoolClass, School)
        .join(School, col(School.id) == col(SchoolClass.school_id))
        .where(School.country != school.country)
    ).all()
    # Partners this class already has a live proposal or exchange with: class id -> exchange id.
    mine = select(ExchangeClass.exchange_id).where(ExchangeClass.class_id == school_class.id)
    linked = db.exec(
        select(ExchangeClass.class_id, ExchangeClass.exchange_id)
        .join(Exchange, col(Exchange.id) == col(ExchangeClass.exchange_id))
        .where(col(ExchangeClass.exchange_id).in_(mine), Exchange.status != ExchangeStatus.DECLINED)
    ).all()
    return [profile(c, s) for c, s in rows], dict(linked)


async def partners_page(request: Request) -> Response:
    """``GET /classes/{id}/partners?weeks=N``: ranked classes abroad with their weekly overlap on both clocks."""
    owned = await owned_class(request)
    weeks_text = request.query_params.get("weeks", str(DEFAULT_WEEKS))
    weeks = int(weeks_text) if weeks_text.isdigit() else DEFAULT_WEEKS
    weeks = min(max(weeks, 1), MAX_WEEKS)

    def find(db: Session) -> tuple[list[Match], dict[int, int]]:
        # Ranking walks every candidate's dates: run it in the worker thread with the query, off the event loop.
        others, linked = _candidates(db, owned.school_class, owned.school)
        return rank(profile(owned.school_class, owned.school), others, next_weeks(utcnow(), weeks)), linked

    matches, linked = await owned.svc.db.run(find)
    context = {
        "c": owned.school_class,
        "school": owned.school,
        "matches": matches,
        "linked": linked,
        "weeks": weeks,
        "max_weeks": MAX_WEEKS,
        "default_room_size": owned.svc.settings.room_size,
        "countries": COUNTRIES,
        "language_names": LANGUAGE_NAMES,
    }
    return render(request, "schools/partners.html", context)


async def propose(request: Request) -> Response:
    """``POST /classes/{id}/propose``: propose an exchange with ``partner_class_id``; this class has accepted."""
    owned = await owned_class(request)
    form = await request.form()
    partner_text = field(form, "partner_class_id", 12)
    partner_id = int(partner_text) if partner_text.isdigit() else 0
    rules, errors = read_rules(form, 2, owned.svc.settings.room_size)
    title = field(form, "title") or f"{owned.school_class.name} + partners"
    if len(title) > 200:
        errors.append("The title is longer than 200 characters.")

    def create(db: Session) -> int | str:
        partner = db.get(SchoolClass, partner_id)
        partner_school = db.get(School, partner.school_id) if partner else None
        if partner is None or partner_school is None:
            return "Pick a partner class from the list."
        if partner_school.country == owned.school.country:
            return "Partners are classes in another country."
        if errors:
            return errors[0]
        exchange = Exchange(title=title, proposed_by=owned.user.id, **rules)
        db.add(exchange)
        db.flush()
        assert exchange.id is not None
        db.add(ExchangeClass(exchange_id=exchange.id, class_id=owned.class_id, accepted=True))
        db.add(ExchangeClass(exchange_id=exchange.id, class_id=partner_id, accepted=False))
        db.commit()
        return exchange.id

    outcome = await owned.svc.db.run(create)
    if isinstance(outcome, str):
        raise HTTPException(400, outcome)
    await notify(owned.svc, ExchangeEvent("proposed", outcome, title, owned.user, owned.school.name))
    return RedirectResponse(f"/exchanges/{outcome}", status_code=303)


routes: list[BaseRoute] = [
    coordinator_route("/classes/{class_id:int}/partners", partners_page, ["GET"]),
    coordinator_route("/classes/{class_id:int}/propose", propose, ["POST"]),
]
