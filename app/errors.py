"""Friendly error pages for browsers, JSON errors for API clients; never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.templating import render

log = logging.getLogger(__name__)

TITLES = {
    400: "That request did not look right",
    403: "You are not allowed to do that",
    404: "We could not find that page",
    405: "That method is not allowed here",
    413: "That is too large",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(status, "Error")
    if _wants_json(request):
        return JSONResponse({"error": detail, "status": status}, status_code=status, headers=exc.headers)
    response = render(
        request, "error.html", {"status": status, "title": TITLES.get(status, "Error"), "detail": detail}, status
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"error": "internal error", "status": 500}, status_code=500)
    return render(request, "error.html", {"status": 500, "title": TITLES[500], "detail": ""}, 500)


handlers = {HTTPException: http_error, 500: server_error}
