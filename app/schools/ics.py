"""iCalendar files of sessions: a class's and an exchange's for staff, and a signed public feed to subscribe to."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

import icalendar
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app import i18n
from app.access import coordinator_route, owned_class
from app.models import Exchange, ExchangeClass, SchoolClass
from app.schools.calendar_feed import feed_class_id
from app.schools.classes import join_url
from app.schools.exchanges import owned_exchange
from app.services import Services, services
from rooms.models import ExchangeSession, SessionStatus

MEDIA_TYPE = "text/calendar; charset=utf-8"
Gettext = Callable[[str], str]


def slug(text: str, fallback: str) -> str:
    """A file-name-safe ASCII slug (``Café à Paris!`` -> ``cafe-a-paris``); ``fallback`` when nothing is left.

    Only ``[a-z0-9-]`` survives, so the name needs no quoting in ``Content-Disposition`` and cannot carry a path.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return cleaned or fallback


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.ics"'}


@dataclass(frozen=True, slots=True)
class CalendarText:
    """What every event's description carries besides the session's own topic and notice."""

    name: str
    join_link: str
    gettext: Gettext


def _calendar(db: Session, sessions: Sequence[ExchangeSession], domain: str, text: CalendarText) -> bytes:
    """One VEVENT per session; stable UIDs so a moved session replaces its event instead of adding one."""
    _ = text.gettext
    titles = {
        e.id: e.title
        for e in db.exec(select(Exchange).where(col(Exchange.id).in_({s.exchange_id for s in sessions}))).all()
    }
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Bridgeway//class calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Bridgeway: {text.name}")
    for item in sessions:
        exchange_title = titles.get(item.exchange_id, "")
        event = icalendar.Event()
        event.add("uid", f"session-{item.id}@{domain}")
        event.add("dtstamp", item.created_at.astimezone(UTC))
        event.add("dtstart", item.starts_at.astimezone(UTC))
        event.add("dtend", item.ends_at.astimezone(UTC))
        event.add("summary", item.title or exchange_title or f"Bridgeway session {item.id}")
        lines = [_("Bridgeway exchange: %(title)s") % {"title": exchange_title}] if exchange_title else []
        lines += [_("Topic: %(topic)s") % {"topic": item.topic}] if item.topic else []
        lines += [_("Notice: %(notice)s") % {"notice": item.notice}] if item.notice else []
        lines.append(_("Students join at %(url)s") % {"url": text.join_link})
        event.add("description", "\n".join(lines))
        event.add("url", text.join_link)
        event.add("status", "CANCELLED" if item.status == SessionStatus.CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def build_calendar(db: Session, class_id: int, domain: str, join_link: str, gettext: Gettext) -> bytes:
    """The sessions of every exchange the class has accepted."""
    school_class = db.get(SchoolClass, class_id)
    exchange_ids = select(ExchangeClass.exchange_id).where(
        ExchangeClass.class_id == class_id, col(ExchangeClass.accepted).is_(True)
    )
    sessions = db.exec(
        select(ExchangeSession)
        .where(col(ExchangeSession.exchange_id).in_(exchange_ids))
        .order_by(col(ExchangeSession.starts_at))
    ).all()
    name = school_class.name if school_class else str(class_id)
    return _calendar(db, sessions, domain, CalendarText(name, join_link, gettext))


def build_exchange_calendar(db: Session, exchange_id: int, domain: str, join_link: str, gettext: Gettext) -> bytes:
    """The sessions of one exchange (whatever their status, so cancelled ones show as cancelled)."""
    exchange = db.get(Exchange, exchange_id)
    sessions = db.exec(
        select(ExchangeSession)
        .where(ExchangeSession.exchange_id == exchange_id)
        .order_by(col(ExchangeSession.starts_at))
    ).all()
    name = exchange.title if exchange else str(exchange_id)
    return _calendar(db, sessions, domain, CalendarText(name, join_link, gettext))


def _domain(svc: Services) -> str:
    return svc.settings.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "bridgeway"


def _gettext(request: Request) -> Gettext:
    return i18n.translations(i18n.pick_language(request)).gettext


async def class_calendar(request: Request) -> Response:
    """``GET /classes/{id}/calendar.ics``: the class's sessions with its join link, saved as ``<class-name>.ics``."""
    owned = await owned_class(request)
    link = join_url(owned.svc.settings, owned.school_class.join_code)
    body = await owned.svc.db.run(build_calendar, owned.class_id, _domain(owned.svc), link, _gettext(request))
    name = slug(owned.school_class.name, f"class-{owned.class_id}")
    return Response(body, media_type=MEDIA_TYPE, headers=attachment(name))


async def exchange_calendar(request: Request) -> Response:
    """``GET /exchanges/{id}/calendar.ics``: saved as ``<exchange-title>.ics``; the join link has the code of the
    user's own class in the exchange (an admin, or a school with two classes in it, gets the plain join address)."""
    owned = await owned_exchange(request)
    own = [s.school_class for s in owned.sides if s.school.id == owned.user.school_id]
    link = join_url(owned.svc.settings, own[0].join_code if len(own) == 1 else None)
    body = await owned.svc.db.run(
        build_exchange_calendar, owned.exchange_id, _domain(owned.svc), link, _gettext(request)
    )
    name = slug(owned.exchange.title, f"exchange-{owned.exchange_id}")
    return Response(body, media_type=MEDIA_TYPE, headers=attachment(name))


async def public_feed(request: Request) -> Response:
    """``GET /ics/{token}.ics``: the class calendar without a login, for subscribing; a bad token is a 404.

    Anyone holding the feed address can read it, so its events carry the plain join address, never the class code.
    """
    svc = services(request)
    class_id = await feed_class_id(svc.settings, request.path_params["token"])
    if class_id is None or await svc.db.run(lambda s: s.get(SchoolClass, class_id)) is None:
        raise HTTPException(404, "We could not find that calendar.")
    body = await svc.db.run(build_calendar, class_id, _domain(svc), join_url(svc.settings), _gettext(request))
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})


routes: list[BaseRoute] = [
    coordinator_route("/classes/{class_id:int}/calendar.ics", class_calendar, ["GET"]),
    coordinator_route("/exchanges/{exchange_id:int}/calendar.ics", exchange_calendar, ["GET"]),
    Route("/ics/{token}.ics", public_feed, methods=["GET"]),
]
