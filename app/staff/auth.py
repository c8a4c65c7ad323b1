"""Staff authentication and authorisation: the signed session cookie names the user; roles gate routes.

The cookie holds the user id and the user's ``session_version`` at login, nothing derived from the password.
Logout, a password change or reset and disabling the account bump the version in the database, which ends
every session of that user at once: HTTP routes check it on every request, open watch sockets every
``BRIDGEWAY_STAFF_SESSION_CHECK_SECONDS``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from app.models import Role, User
from app.security import csrf_valid
from app.services import services

Endpoint = Callable[[Request], Awaitable[Response]]


def start_session(session: dict[str, object], user: User) -> None:
    """Make ``session`` (just cleared, against fixation) a staff session of ``user`` at its current version."""
    session["uid"] = user.id
    session["sv"] = user.session_version


def session_valid(session: Mapping[str, object], user: User | None) -> bool:
    """The session was issued under the user's current version, and the account is enabled."""
    return user is not None and not user.disabled and session.get("sv") == user.session_version


async def staff_user(conn: HTTPConnection) -> User | None:
    """The staff user of a request's or socket's session cookie, if that session is still valid."""
    session = conn.session if "session" in conn.scope else {}
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    user = await services(conn).db.run(lambda s: s.get(User, user_id))
    return user if session_valid(session, user) else None


async def session_ended(conn: HTTPConnection, user_id: int, interval: float) -> None:
    """Return once the staff session behind ``conn`` (a watch socket) has ended; polls every ``interval`` s."""
    session = dict(conn.session) if "session" in conn.scope else {}
    db = services(conn).db
    while True:
        await asyncio.sleep(interval)
        try:
            user = await db.run(lambda s: s.get(User, user_id))
        except Exception:  # database briefly away: keep the socket, check again next time
            continue
        if not session_valid(session, user):
            return


async def current_user(request: Request) -> User | None:
    """The logged-in staff user, loaded once per request (the cookie holds only the id and a session version)."""
    if "user" in request.scope:
        cached: User | None = request.scope["user"]
        return cached
    user = await staff_user(request)
    request.scope["user"] = user
    return user


async def check_csrf(request: Request) -> None:
    """Reject a state-changing request whose form or header lacks this session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        # No Bridgeway form uploads files; refusing before parsing leaves no spooled temp files behind.
        raise HTTPException(415, "File uploads are not accepted here.")
    if token is None and content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not csrf_valid(request.session, token):
        raise HTTPException(403, "The form expired or did not come from this site. Reload the page and try again.")


def require_role(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    """Decorator: only logged-in staff with one of ``roles`` (admin always) may call the endpoint; CSRF checked."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                if request.method == "GET" and not request.url.path.startswith("/api/"):
                    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
                raise HTTPException(401, "Log in first.")
            if user.role != Role.ADMIN and user.role not in roles:
                raise HTTPException(403, "Your role does not allow this.")
            await check_csrf(request)
            return await endpoint(request)

        return wrapper

    return decorate
