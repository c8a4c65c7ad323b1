"""Who may do what: ownership rules (which staff may see or act on which school, class, exchange and session) and
the request guards that apply them to routes (role, CSRF and ownership checked before a handler runs)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from app.models import ExchangeClass, Role, School, SchoolClass, User
from app.services import Services, services
from app.staff.auth import Endpoint, current_user, require_role
from rooms.models import ExchangeSession

STAFF_ROLES = (Role.FACILITATOR, Role.COORDINATOR)  # admins always pass require_role


def exchange_school_ids(db: Session, exchange_id: int) -> set[int]:
    rows = db.exec(
        select(SchoolClass.school_id)
        .join(ExchangeClass, col(ExchangeClass.class_id) == col(SchoolClass.id))
        .where(ExchangeClass.exchange_id == exchange_id)
    )
    return set(rows)


def can_manage_exchange(db: Session, user: User, exchange_id: int) -> bool:
    """Admins, and staff of a school taking part in the exchange."""
    if user.role == Role.ADMIN:
        return True
    return user.school_id is not None and user.school_id in exchange_school_ids(db, exchange_id)


def can_run_session(db: Session, user: User, exchange_session: ExchangeSession) -> bool:
    """Admins, the session's facilitator, and facilitators/coordinators of a partner school."""
    if user.role == Role.ADMIN or exchange_session.facilitator_id == user.id:
        return True
    return can_manage_exchange(db, user, exchange_session.exchange_id)


def can_manage_school(user: User, school_id: int) -> bool:
    """Admins manage every school; a coordinator manages only their own."""
    return user.role == Role.ADMIN or (user.role == Role.COORDINATOR and user.school_id == school_id)


async def staff_user(request: Request) -> tuple[User, Services]:
    user = await current_user(request)
    if user is None:  # require_role already answered; kept so the type is narrowed honestly
        raise HTTPException(401, "Log in first.")
    return user, services(request)


async def owned_school(request: Request) -> tuple[School, User, Services]:
    """``{school_id}`` if the user manages it: 404 unknown, 403 another school's."""
    user, svc = await staff_user(request)
    school_id = int(request.path_params["school_id"])
    school = await svc.db.run(lambda s: s.get(School, school_id))
    if school is None:
        raise HTTPException(404, "We could not find that school.")
    if not can_manage_school(user, school_id):
        raise HTTPException(403, "This is another school's page.")
    return school, user, svc


@dataclass(frozen=True, slots=True)
class OwnedClass:
    school_class: SchoolClass
    school: School
    user: User
    svc: Services

    @property
    def class_id(self) -> int:
        assert self.school_class.id is not None
        return self.school_class.id


async def owned_class(request: Request) -> OwnedClass:
    """``{class_id}`` if the user manages its school: 404 unknown, 403 another school's."""
    user, svc = await staff_user(request)
    class_id = int(request.path_params["class_id"])

    def load(db: Session) -> tuple[SchoolClass | None, School | None]:
        found = db.get(SchoolClass, class_id)
        return found, db.get(School, found.school_id) if found else None

    school_class, school = await svc.db.run(load)
    if school_class is None or school is None:
        raise HTTPException(404, "We could not find that class.")
    if not can_manage_school(user, school.id or 0):
        raise HTTPException(403, "This is another school's class.")
    return OwnedClass(school_class, school, user, svc)


def coordinator_route(path: str, endpoint: Endpoint, methods: list[str]) -> Route:
    """A route for coordinators and admins (role and CSRF checked by ``require_role``); ownership is the handler's."""
    return Route(path, require_role(Role.COORDINATOR)(endpoint), methods=methods)


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


def staff_timezone(db: Session, user: User) -> str:
    """The zone staff pages show times in: the user's school's (UTC for an admin without a school)."""
    school = db.get(School, user.school_id) if user.school_id is not None else None
    return school.timezone if school is not None else "UTC"
