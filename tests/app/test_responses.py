"""What a staff action answers: JSON for scripts, a 303 back into the same session's pages for forms, 404/409 for
room changes that do not apply, and carrying on when the broker is down (the hub delivered locally)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app.access import Run
from app.models import Role, User
from app.responses import acting, conflict, done, wants_json
from rooms.membership import Refused
from rooms.models import ExchangeSession

NOW = datetime(2030, 1, 1, tzinfo=UTC)
RUN = Run(
    User(id=3, username="f", display_name="F", role=Role.FACILITATOR, password_hash="-"),
    ExchangeSession(id=7, exchange_id=1, starts_at=NOW, ends_at=NOW),
    svc=cast(Any, None),  # done() reads only the session id
)


async def _action(request: Request) -> Response:
    return done(request, RUN, {"moved": 1}, default_back=request.query_params.get("default"))


@pytest.fixture
def actions() -> TestClient:
    return TestClient(Starlette(routes=[Route("/act", _action, methods=["POST"])]), follow_redirects=False)


@pytest.mark.parametrize(
    "headers", [{"Accept": "application/json"}, {"X-CSRF-Token": "t"}], ids=["accept-json", "csrf-header"]
)
def test_responses_scripts_get_json(actions: TestClient, headers: dict[str, str]) -> None:
    response = actions.post("/act", headers=headers)
    assert response.json() == {"ok": True, "moved": 1}


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("", "/facilitate/7"),
        ("?next=/facilitate/7/queue", "/facilitate/7/queue"),
        ("?default=/facilitate/7/exports", "/facilitate/7/exports"),
        ("?next=https://evil.example/", "/facilitate/7"),
        ("?next=/facilitate/8", "/facilitate/7"),
    ],
    ids=["console", "next", "default", "elsewhere", "other-session"],
)
def test_responses_forms_go_back_only_into_the_session(actions: TestClient, query: str, location: str) -> None:
    response = actions.post(f"/act{query}")
    assert (response.status_code, response.headers["location"]) == (303, location)


def test_responses_wants_json_is_false_for_a_plain_form() -> None:
    request = Request({"type": "http", "headers": [(b"accept", b"text/html")]})
    assert not wants_json(request)


def test_responses_conflict_is_a_409() -> None:
    assert (conflict("Done already.").status_code, conflict("Done already.").detail) == (409, "Done already.")


async def test_responses_acting_turns_a_refused_change_into_its_status() -> None:
    async def refused() -> None:
        raise Refused(404, "No such student.")

    async def applied() -> int:
        return 5

    with pytest.raises(HTTPException) as caught:
        await acting(refused())
    assert (caught.value.status_code, caught.value.detail) == (404, "No such student.")
    assert await acting(applied()) == 5
