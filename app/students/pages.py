"""Student entry: join with a class code and a pseudonym, then the lobby/chat page that opens the socket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.countries import COUNTRIES, LANGUAGE_NAMES
from app.security import TokenError, client_address
from app.services import services
from app.staff.auth import check_csrf
from app.students.devices import Device, alert_if_banned
from app.students.joining import Enrolment, JoinError, JoinResult, clean_name, preview
from app.templating import render

T = TypeVar("T")


async def _look_up(request: Request, lookup: Callable[[str], Awaitable[T]], code: str) -> T:
    """Run a class-code lookup under the address's budget of wrong codes (see app/ratelimit.py).

    Once the address is over budget every answer is 429, whatever the code, so guessing learns nothing more.
    """
    limits, client = services(request).limits, client_address(request)
    try:
        found = await lookup(code)
    except JoinError as exc:
        wrong = exc.code in ("unknown_code", "expired_code")
        wait = await (limits.record_wrong_code(client, code) if wrong else limits.check_code_guesses(client))
        if wait is not None:
            raise JoinError("rate_limited", "Too many join attempts. Wait a minute and try again.", 429, wait) from None
        raise
    wait = await limits.check_code_guesses(client)
    if wait is not None:
        raise JoinError("rate_limited", "Too many join attempts. Wait a minute and try again.", 429, wait)
    return found


async def _join(
    request: Request, code: str, name: str, country: str | None, languages: list[str] | None, device: Device
) -> JoinResult:
    """The final join step: code check, the per-code and per-session join limits, then the new participant."""
    svc = services(request)
    admission = await _look_up(request, svc.admissions.submit, code)
    wait = await svc.limits.admit_join(admission.school_class.join_code, admission.session.id or 0)
    if wait is not None:
        raise JoinError(
            "join_busy",
            "Too many students are joining with this code right now. Wait a minute and try again.",
            429,
            wait,
        )
    return await svc.enrolments.submit(Enrolment(admission, name, country, languages, device.participants))


async def _joined(request: Request, result: JoinResult, device: Device, response: Response) -> Response:
    """Remember the new participant on this browser's device cookie; alert the console if it was banned here.

    The response is the same either way: the student is not told that their browser was recognised.
    """
    svc = services(request)
    await alert_if_banned(svc.rooms.notices, result.participant, result.banned_on_device)
    await svc.rooms.notices.students(result.participant.session_id, [result.participant])  # a new console row
    assert result.participant.id is not None
    svc.devices.write(response, device.joined(result.participant.id))
    return response


def _retry_headers(exc: JoinError) -> dict[str, str] | None:
    return {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None


async def join_page(request: Request) -> Response:
    return render(request, "students/join.html", {"step": 1, "values": {}, "error": None})


async def join_submit(request: Request) -> Response:
    """Step 1 checks the code and shows the class's defaults; step 2 (``confirm``) creates the participant."""
    await check_csrf(request)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        name = clean_name(values.get("name", ""))
        values["name"] = name
        if values.get("step") != "2":
            school_class, school = await _look_up(
                request, partial(services(request).db.run, preview), values.get("code", "")
            )
            values.setdefault("country", school.country)
            context = {
                "step": 2,
                "values": values,
                "error": None,
                "school": school.name,
                "class_languages": school_class.languages or school.languages,
                "countries": COUNTRIES,
                "language_names": LANGUAGE_NAMES,
            }
            return render(request, "students/join.html", context)
        languages = [str(x) for x in form.getlist("languages")]
        device = services(request).devices.read(request)
        result = await _join(request, values.get("code", ""), name, values.get("country"), languages, device)
    except JoinError as exc:
        page = render(request, "students/join.html", {"step": 1, "values": values, "error": exc.message}, exc.status)
        page.headers.update(_retry_headers(exc) or {})
        return page
    participant = result.participant
    assert participant.id is not None
    request.session["pt"] = services(request).tokens.issue(
        participant.id, participant.session_id, participant.token_nonce
    )
    return await _joined(request, result, device, RedirectResponse("/chat", status_code=303))


async def join_api(request: Request) -> Response:
    """JSON join for scripted clients: ``{"code", "name", "country"?, "languages"?}`` -> token and ws path."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": "bad_content_type", "message": "Send application/json."}, status_code=415)
    try:
        body: Any = await request.json()
    except RecursionError:  # json.loads recurses once per nesting level: "[[[[…" a million deep overflows the stack
        return JSONResponse({"error": "bad_json", "message": "The JSON is nested too deeply."}, status_code=400)
    except ValueError:
        return JSONResponse({"error": "bad_json", "message": "Send a JSON object."}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "bad_json", "message": "Send a JSON object."}, status_code=400)
    svc = services(request)
    try:
        code, raw_name = body.get("code"), body.get("name")
        country, languages = body.get("country"), body.get("languages")
        if not isinstance(code, str) or not isinstance(raw_name, str):
            raise JoinError("bad_request", "'code' and 'name' are required strings.")
        if country is not None and not isinstance(country, str):
            raise JoinError("bad_country", "'country' must be a string.")
        if languages is not None and (
            not isinstance(languages, list) or not all(isinstance(x, str) for x in languages)
        ):
            raise JoinError("bad_languages", "'languages' must be a list of language codes.")
        device = svc.devices.read(request)
        result = await _join(request, code, clean_name(raw_name), country, languages, device)
    except JoinError as exc:
        error = {"error": exc.code, "message": exc.message}
        return JSONResponse(error, status_code=exc.status, headers=_retry_headers(exc))
    p = result.participant
    assert p.id is not None
    token = svc.tokens.issue(p.id, p.session_id, p.token_nonce)
    answer = {
        "token": token,
        "participant": {"id": p.id, "name": p.display_name, "country": p.country, "languages": p.languages},
        "session": {"id": result.session.id, "status": result.session.status.value, "title": result.session.title},
        "ws": "/ws",
    }
    return await _joined(request, result, device, JSONResponse(answer, status_code=201))


async def chat_page(request: Request) -> Response:
    token = request.session.get("pt")
    if not isinstance(token, str):
        return RedirectResponse("/join", status_code=303)
    try:
        services(request).tokens.verify(token)
    except Exception:
        request.session.pop("pt", None)
        return RedirectResponse("/join", status_code=303)
    return render(request, "students/chat.html", {"token": token, "language_names": LANGUAGE_NAMES})


async def leave(request: Request) -> Response:
    """Leave the exchange for good: the partner is told at once and re-paired, and the token stops working."""
    await check_csrf(request)
    token = request.session.pop("pt", None)
    if isinstance(token, str):
        svc = services(request)
        try:
            claims = svc.tokens.verify(token)
        except TokenError:
            claims = None
        if claims is not None:
            await svc.rooms.lifecycle.leave(claims.session_id, claims.participant_id, claims.nonce)
    return RedirectResponse("/", status_code=303)


routes = [
    Route("/join", join_page, methods=["GET"]),
    Route("/join", join_submit, methods=["POST"]),
    Route("/api/join", join_api, methods=["POST"]),
    Route("/chat", chat_page),
    Route("/leave", leave, methods=["POST"]),
]
