"""iCalendar feeds of a class's sessions: for staff, and a signed public URL a calendar app can subscribe to."""

from __future__ import annotations

from datetime import UTC

import anyio.to_thread
import icalendar
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.classes import coordinator_route, owned_class
from app.models import ExchangeClass, SchoolClass
from app.services import Services, services
from rooms.models import ExchangeSession, SessionStatus

SALT = "bridgeway.class-calendar"
MEDIA_TYPE = "text/calendar; charset=utf-8"


async def _signer(svc: Services) -> URLSafeSerializer:
    secret = await anyio.to_thread.run_sync(svc.settings.resolve_secret)  # may read the key file once
    return URLSafeSerializer(secret, salt=SALT)


async def feed_token(svc: Services, class_id: int) -> str:
    """The signed, unguessable token naming a class's public feed (it never expires; it reveals only times)."""
    token: str = (await _signer(svc)).dumps(class_id)
    return token


async def feed_url(request: Request, class_id: int) -> str:
    svc = services(request)
    return f"{svc.settings.base_url.rstrip('/')}/ics/{await feed_token(svc, class_id)}.ics"


def build_calendar(db: Session, class_id: int, domain: str) -> bytes:
    """One VEVENT per session of the class's accepted exchanges; stable UIDs so updates replace events."""
    school_class = db.get(SchoolClass, class_id)
    exchange_ids = select(ExchangeClass.exchange_id).where(
        ExchangeClass.class_id == class_id, col(ExchangeClass.accepted).is_(True)
    )
    sessions = db.exec(
        select(ExchangeSession)
        .where(col(ExchangeSession.exchange_id).in_(exchange_ids))
        .order_by(col(ExchangeSession.starts_at))
    ).all()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Bridgeway//class calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Bridgeway: {school_class.name if school_class else class_id}")
    for item in sessions:
        event = icalendar.Event()
        event.add("uid", f"session-{item.id}@{domain}")
        event.add("dtstamp", item.created_at.astimezone(UTC))
        event.add("dtstart", item.starts_at.astimezone(UTC))
        event.add("dtend", item.ends_at.astimezone(UTC))
        event.add("summary", item.title or f"Bridgeway session {item.id}")
        description = "\n".join(part for part in (item.topic, item.notice or "") if part)
        if description:
            event.add("description", description)
        event.add("status", "CANCELLED" if item.status == SessionStatus.CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _domain(svc: Services) -> str:
    return svc.settings.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "bridgeway"


async def class_calendar(request: Request) -> Response:
    """``GET /classes/{id}/calendar.ics``: the class's sessions, for its coordinators and admins."""
    owned = await owned_class(request)
    body = await owned.svc.db.run(build_calendar, owned.class_id, _domain(owned.svc))
    return Response(body, media_type=MEDIA_TYPE, headers={"Content-Disposition": "attachment; filename=class.ics"})


async def public_feed(request: Request) -> Response:
    """``GET /ics/{token}.ics``: the same calendar without a login, for subscribing; a bad token is a 404."""
    svc = services(request)
    try:
        class_id = (await _signer(svc)).loads(request.path_params["token"])
    except BadSignature:
        raise HTTPException(404, "We could not find that calendar.") from None
    if not isinstance(class_id, int) or await svc.db.run(lambda s: s.get(SchoolClass, class_id)) is None:
        raise HTTPException(404, "We could not find that calendar.")
    body = await svc.db.run(build_calendar, class_id, _domain(svc))
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})


routes: list[BaseRoute] = [
    coordinator_route("/classes/{class_id:int}/calendar.ics", class_calendar, ["GET"]),
    Route("/ics/{token}.ics", public_feed, methods=["GET"]),
]
