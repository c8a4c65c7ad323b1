"""Staff authentication and authorisation: the signed session cookie names the user; roles gate routes."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.models import Role, User
from app.security import csrf_valid
from app.services import services

Endpoint = Callable[[Request], Awaitable[Response]]


async def current_user(request: Request) -> User | None:
    """The logged-in staff user, loaded once per request (the cookie holds only the id and a nonce)."""
    if "user" in request.scope:
        cached: User | None = request.scope["user"]
        return cached
    user_id = request.session.get("uid")
    user: User | None = None
    if isinstance(user_id, int):
        user = await services(request).db.run(lambda s: s.get(User, user_id))
        if user is not None and request.session.get("pwv") != user.password_hash[-12:]:
            user = None  # password changed since login: old sessions stop working
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
