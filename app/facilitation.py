"""Shared by the facilitator modules: the session guard, audit rows, form fields and action responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.access import can_run_session
from app.auth import current_user, require_role
from app.i18n import Phrase
from app.models import Role, School, User
from app.services import Services, services
from rooms.broker import BrokerUnavailable
from rooms.membership import Refused
from rooms.models import ExchangeSession, ModerationAction

STAFF_ROLES = (Role.FACILITATOR, Role.COORDINATOR)  # admins always pass require_role
Endpoint = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Run:
    """A request that passed the guard: the staff user, the session they may run, and the app's services."""

    user: User
    session: ExchangeSession
    svc: Services

    @property
    def session_id(self) -> int:
        assert self.session.id is not None
        return self.session.id

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id


def staff_route(path: str, endpoint: Endpoint, methods: list[str]) -> Route:
    """A route open to facilitators, coordinators and admins (role + CSRF checked by ``require_role``)."""
    return Route(path, require_role(*STAFF_ROLES)(endpoint), methods=methods)


async def guard(request: Request) -> Run:
    """Load ``{session_id}`` and check the user may run it (``can_run_session``): 404 unknown, 403 not theirs."""
    user = await current_user(request)
    if user is None:
        raise HTTPException(401, "Log in first.")
    svc = services(request)
    session_id = int(request.path_params["session_id"])

    def load(db: Session) -> tuple[ExchangeSession | None, bool]:
        found = db.get(ExchangeSession, session_id)
        return found, found is not None and can_run_session(db, user, found)

    exchange_session, allowed = await svc.db.run(load)
    if exchange_session is None:
        raise HTTPException(404, "We could not find that session.")
    if not allowed:
        raise HTTPException(403, "You do not run this session.")
    return Run(user, exchange_session, svc)


def audit(
    db: Session,
    run: Run,
    action: str,
    reason: str = "",
    *,
    room_id: int | None = None,
    message_id: int | None = None,
    participant_id: int | None = None,
) -> None:
    """Add the audit row for a staff action to ``db``'s transaction (the caller commits with the change)."""
    db.add(
        ModerationAction(
            session_id=run.session_id,
            room_id=room_id,
            message_id=message_id,
            participant_id=participant_id,
            actor_user_id=run.user_id,
            action=action,
            reason=reason[:500],
        )
    )


async def form_of(request: Request) -> FormData:
    """The submitted form (already parsed and cached by the CSRF check); empty for JSON/other bodies."""
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return await request.form()
    return FormData()


def text_field(form: FormData, name: str, *, max_len: int, required: bool = False) -> str:
    value = form.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise HTTPException(400, Phrase("Fill in '%(name)s'.", name=name))
    if len(text) > max_len:
        raise HTTPException(400, Phrase("'%(name)s' is longer than %(n)s characters.", name=name, n=max_len))
    return text


def int_field(form: FormData, name: str, *, low: int, high: int, default: int | None = None) -> int:
    value = form.get(name)
    if (value is None or value == "") and default is not None:
        return default
    if not isinstance(value, str) or not value.strip().lstrip("-").isdigit():
        raise HTTPException(400, Phrase("'%(name)s' must be a whole number.", name=name))
    number = int(value)
    if not low <= number <= high:
        raise HTTPException(
            400, Phrase("'%(name)s' must be between %(low)s and %(high)s.", name=name, low=low, high=high)
        )
    return number


def wants_json(request: Request) -> bool:
    """Scripts (the console's fetch calls, API clients) get JSON; plain form posts get a redirect back."""
    return "application/json" in request.headers.get("accept", "") or "x-csrf-token" in request.headers


def done(request: Request, run: Run, payload: dict[str, Any], default_back: str | None = None) -> Response:
    """Answer a successful action: JSON for scripts, else a 303 back to the page the form came from."""
    if wants_json(request):
        return JSONResponse({"ok": True, **payload})
    console = f"/facilitate/{run.session_id}"
    back = request.query_params.get("next") or default_back or console
    if not back.startswith(console):  # only ever back into this session's pages
        back = console
    return RedirectResponse(back, status_code=303)


def conflict(message: str) -> HTTPException:
    """The action was already done (by this facilitator or another): 409, nothing changed."""
    return HTTPException(409, message)


def staff_timezone(db: Session, user: User) -> str:
    """The zone staff pages show times in: the user's school's (UTC for an admin without a school)."""
    school = db.get(School, user.school_id) if user.school_id is not None else None
    return school.timezone if school is not None else "UTC"


async def acting(coro: Awaitable[T]) -> T:
    """Run a room-lifecycle change; one that does not apply (unknown student, done already) is a 404/409."""
    try:
        return await coro
    except Refused as exc:
        raise HTTPException(exc.status, exc.message) from None


async def publish(coro: Awaitable[None]) -> None:
    """Publish through the hub; with the broker down the hub already delivered locally, so carry on."""
    try:
        await coro
    except BrokerUnavailable:
        pass
