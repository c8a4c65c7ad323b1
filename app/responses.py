"""What a staff action answers: JSON for scripts or a redirect back for forms, 409 when done already, and room
changes that do not apply turned into 404/409."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.access import Run
from rooms.membership import Refused

T = TypeVar("T")


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


async def acting(coro: Awaitable[T]) -> T:
    """Run a room-lifecycle change; one that does not apply (unknown student, done already) is a 404/409."""
    try:
        return await coro
    except Refused as exc:
        raise HTTPException(exc.status, exc.message) from None
