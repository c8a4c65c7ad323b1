"""Facilitator pages: the list of sessions one may run, and (aggregated here) every console, queue and export route."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.access import exchange_school_ids, staff_route, staff_timezone
from app.facilitation import (
    console,
    console_pairing,
    console_translation,
    exports,
    moderation_actions,
    moderation_queue,
    retention,
)
from app.models import Role, User
from app.services import services
from app.staff.auth import current_user
from app.templating import render
from rooms.clock import utcnow
from rooms.models import ExchangeSession, SessionStatus

PAST_LIMIT = 50


def sessions_for(db: Session, user: User) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Upcoming, live and past sessions the user may run (same rule as ``can_run_session``), in local time."""
    tz = staff_timezone(db, user)
    query = select(ExchangeSession).order_by(col(ExchangeSession.starts_at))
    rows = db.exec(query).all()
    partner_cache: dict[int, set[int]] = {}

    def mine(s: ExchangeSession) -> bool:
        if user.role == Role.ADMIN or s.facilitator_id == user.id:
            return True
        if user.school_id is None:
            return False
        if s.exchange_id not in partner_cache:
            partner_cache[s.exchange_id] = exchange_school_ids(db, s.exchange_id)
        return user.school_id in partner_cache[s.exchange_id]

    now = utcnow()
    groups: dict[str, list[dict[str, Any]]] = {"live": [], "upcoming": [], "past": []}
    for s in rows:
        if not mine(s):
            continue
        if s.status in (SessionStatus.LIVE, SessionStatus.PAUSED):
            group = "live"
        elif s.status == SessionStatus.SCHEDULED and s.ends_at > now:
            group = "upcoming"
        else:
            group = "past"
        groups[group].append(
            {
                "id": s.id,
                "title": s.title,
                "topic": s.topic,
                "status": s.status.value,
                "starts": s.starts_at,
                "ends": s.ends_at,
                "mine": s.facilitator_id == user.id,
            }
        )
    groups["past"] = list(reversed(groups["past"]))[:PAST_LIMIT]
    return groups, tz


async def session_list(request: Request) -> Response:
    """``/facilitate``: the sessions this staff member may run, grouped live / upcoming / past."""
    user = await current_user(request)
    assert user is not None  # require_role let the request through
    groups, tz = await services(request).db.run(sessions_for, user)
    return render(request, "facilitators/sessions.html", {"groups": groups, "tz": tz})


routes: list[BaseRoute] = [
    staff_route("/facilitate", session_list, ["GET"]),
    *console.routes,
    *console_pairing.routes,
    *console_translation.routes,
    *moderation_queue.routes,
    *moderation_actions.routes,
    *exports.routes,
    *retention.routes,
]
