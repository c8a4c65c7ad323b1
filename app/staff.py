"""Staff login and logout: argon2 passwords, rate limits and lock-out, session cookie rotation."""

from __future__ import annotations

from datetime import timedelta

import anyio.to_thread
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.auth import check_csrf, current_user
from app.models import Role, User
from app.security import hash_password, verify_password
from app.services import services
from app.templating import render
from rooms.clock import utcnow

# Verifying against a dummy hash when the user does not exist keeps timing the same for both cases.
_DUMMY_HASH = hash_password("not-a-real-password")
HOME_FOR_ROLE = {Role.ADMIN: "/schools", Role.COORDINATOR: "/schools", Role.FACILITATOR: "/facilitate"}


def _find(db: Session, username: str) -> User | None:
    return db.exec(select(User).where(User.username == username)).first()


def _record(db: Session, user_id: int, ok: bool, failures_to_lock: int, lock_minutes: int) -> None:
    user = db.get(User, user_id)
    if user is None:
        return
    if ok:
        user.failed_logins, user.locked_until = 0, None
    else:
        user.failed_logins += 1
        if user.failed_logins >= failures_to_lock:
            user.locked_until = utcnow() + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
    db.add(user)
    db.commit()


def _safe_next(target: str | None, default: str) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    return target


async def login_page(request: Request) -> Response:
    if await current_user(request) is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "staff/login.html", {"error": None, "next": request.query_params.get("next", "")})


async def login_submit(request: Request) -> Response:
    await check_csrf(request)
    svc = services(request)
    form = await request.form()
    username = str(form.get("username", "")).strip()[:80]
    password = str(form.get("password", ""))[:200]
    target = str(form.get("next", ""))
    client = request.client.host if request.client else "unknown"

    def fail(message: str, status: int = 400) -> Response:
        return render(request, "staff/login.html", {"error": message, "next": target}, status)

    if not await svc.limits.allow_login(client, username):
        return fail("Too many login attempts. Wait a minute and try again.", 429)
    user = await svc.db.run(_find, username)
    if user is not None and user.locked_until is not None and user.locked_until > utcnow():
        return fail("This account is locked after too many failed attempts. Try again later.", 429)
    ok = await anyio.to_thread.run_sync(verify_password, user.password_hash if user else _DUMMY_HASH, password)
    if user is None or user.id is None:
        return fail("Wrong username or password.", 401)
    settings = svc.settings
    await svc.db.run(_record, user.id, ok, settings.login_lockout_failures, settings.login_lockout_minutes)
    if not ok:
        return fail("Wrong username or password.", 401)
    request.session.clear()  # a fresh session on login defeats session fixation
    request.session["uid"] = user.id
    request.session["pwv"] = user.password_hash[-12:]
    return RedirectResponse(_safe_next(target, HOME_FOR_ROLE.get(user.role, "/")), status_code=303)


async def logout(request: Request) -> Response:
    await check_csrf(request)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
