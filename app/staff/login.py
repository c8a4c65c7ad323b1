"""Staff login and logout: argon2 passwords, rate limits and back-off, server-side session versions."""

from __future__ import annotations

import anyio.to_thread
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.models import Role, User
from app.security import client_address, hash_password, verify_password
from app.services import services
from app.staff import accounts
from app.staff.auth import check_csrf, current_user, start_session
from app.templating import render

HOME_FOR_ROLE = {Role.ADMIN: "/schools", Role.COORDINATOR: "/schools", Role.FACILITATOR: "/facilitate"}


def _find(db: Session, username: str) -> User | None:
    return db.exec(select(User).where(User.username == username)).first()


def _check_password(user: User | None, password: str) -> bool:
    """Run argon2 once whether or not the user exists, so timing does not tell which usernames are real.

    For an unknown user the submitted password is hashed (the same argon2 work as a verify) and thrown away; a
    dummy hash made at import cost every process start ~0.15 s of CPU.
    """
    if user is None:
        hash_password(password)
        return False
    return verify_password(user.password_hash, password)


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
    client = client_address(request)

    def fail(message: str, status: int = 400) -> Response:
        return render(request, "staff/login.html", {"error": message, "next": target}, status)

    # Per address, and per address and username: nobody elsewhere can use up a teacher's allowance.
    if not await svc.limits.allow_login(client, f"{client} {username.lower()}"):
        return fail("Too many login attempts. Wait a minute and try again.", 429)
    if await svc.login_backoff.waiting(client, username):
        # The same for unknown and existing usernames: the back-off never reads the account.
        return fail("Too many failed attempts with this username from your network. Wait a few minutes.", 429)
    user = await svc.db.run(_find, username)
    ok = await anyio.to_thread.run_sync(_check_password, user, password)
    if user is None or user.id is None or user.disabled or not ok:
        await svc.login_backoff.failed(client, username)
        return fail("Wrong username or password.", 401)
    await svc.login_backoff.succeeded(client, username)
    request.session.clear()  # a fresh session on login defeats session fixation
    start_session(request.session, user)
    return RedirectResponse(_safe_next(target, HOME_FOR_ROLE.get(user.role, "/")), status_code=303)


async def logout(request: Request) -> Response:
    """End every session of this user (a cookie copied before logout stops working too), then this one."""
    await check_csrf(request)
    user = await current_user(request)
    if user is not None and user.id is not None:
        await services(request).db.run(accounts.end_sessions, user.id, user.id)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
