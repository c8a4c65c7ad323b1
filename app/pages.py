"""Home page, health check and the interface-language picker."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app import i18n
from app.services import services
from app.staff.auth import check_csrf
from app.templating import render


async def home(request: Request) -> Response:
    return render(request, "home.html")


async def healthz(request: Request) -> Response:
    """Liveness and readiness: the database answers a query and the broker a ping."""
    svc = services(request)
    checks: dict[str, str] = {}
    try:
        await anyio.to_thread.run_sync(svc.db.ping)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = "ok" if await svc.hub.broker.ping() else "error: unreachable"
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if healthy else "degraded", **checks}, status_code=200 if healthy else 503)


async def set_language(request: Request) -> Response:
    await check_csrf(request)
    form = await request.form()
    language = str(form.get("lang", ""))
    target = str(form.get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if language in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


async def favicon(request: Request) -> Response:
    """``GET /favicon.ico``: browsers and feed readers ask for it even when the page links the SVG; send them there.

    Permanent, so a browser asks once; the SVG is the only icon file, sharp at every size.
    """
    return RedirectResponse("/static/favicon.svg", status_code=301)


routes = [
    Route("/", home),
    Route("/favicon.ico", favicon),
    Route("/healthz", healthz),
    Route("/language", set_language, methods=["POST"]),
]
