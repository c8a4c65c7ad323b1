"""The app factory: ``create_app(settings)`` builds Bridgeway; ``uvicorn --factory app.main:create_app`` runs it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from app import errors, pages, ws
from app.facilitation import sessions as facilitators
from app.gc_tuning import tune_once
from app.middleware import BodySizeLimitMiddleware, SecurityHeadersMiddleware, SessionsExceptSockets
from app.runtime import running
from app.schools import registration as schools
from app.settings import Settings, load_settings
from app.staff import account_pages
from app.staff import login as staff
from app.students import pages as students
from app.templating import STATIC_DIR
from app.ws_direct import ServerSendMiddleware

log = logging.getLogger("bridgeway")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the application; settings are read from ``BRIDGEWAY_*`` once, here, unless given."""
    settings = settings or load_settings()
    secret = settings.resolve_secret()
    unreachable = settings.unreachable_flood_limit()
    if unreachable:
        log.warning("%s", unreachable)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(settings, secret) as svc:
            app.state.services = svc
            ws.install_process_hooks(svc)
            if settings.gc_tuning:
                tune_once()
            yield

    # Starlette tries routes in order: the two sockets first, so that a WebSocket handshake (2,000 in a join
    # burst) is not checked against ~80 HTTP routes; an HTTP request skips them at the first test (scope type).
    routes = [
        *ws.routes,
        *pages.routes,
        *students.routes,
        *staff.routes,
        *account_pages.routes,
        *schools.routes,
        *facilitators.routes,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [
        Middleware(ServerSendMiddleware),  # outermost: the server's own send of each WebSocket (app.ws_direct)
        Middleware(SecurityHeadersMiddleware, hsts=settings.env == "production"),
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(
            SessionsExceptSockets,
            sockets=ws.SESSIONLESS,
            secret_key=secret,
            session_cookie="bw_session",
            max_age=12 * 3600,
            same_site="lax",
            https_only=bool(settings.cookie_secure),
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=errors.handlers,
    )
    app.state.settings = settings
    return app
