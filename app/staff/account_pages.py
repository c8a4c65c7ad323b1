"""Staff account pages: change your own password; an admin resets, disables, enables and deletes accounts."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.models import Role, User
from app.security import hash_password, verify_password
from app.services import services
from app.staff import accounts
from app.staff.auth import current_user, require_role, start_session
from app.templating import render


async def _me(request: Request) -> User:
    user = await current_user(request)
    assert user is not None  # require_role let the request in
    assert user.id is not None
    return user


def _field(form: object, name: str) -> str:
    value = form.get(name, "") if hasattr(form, "get") else ""
    return value[:300] if isinstance(value, str) else ""


async def password_page(request: Request) -> Response:
    """``GET /account/password``: the form to change one's own password."""
    return render(request, "staff/password.html", {"errors": [], "changed": False})


async def change_password(request: Request) -> Response:
    """``POST /account/password``: check the current password, store the new one, end every other session."""
    user = await _me(request)
    svc = services(request)
    form = await request.form()
    current, new, confirm = _field(form, "current_password"), _field(form, "new_password"), _field(form, "confirm")
    errors = []
    if not await anyio.to_thread.run_sync(verify_password, user.password_hash, current):
        errors.append("Your current password is not right.")
    problem = accounts.password_problem(new)
    if problem:
        errors.append(problem)
    elif new != confirm:
        errors.append("The new passwords do not match.")
    if errors:
        return render(request, "staff/password.html", {"errors": errors, "changed": False}, 400)
    hashed = await anyio.to_thread.run_sync(hash_password, new)
    assert user.id is not None
    user.session_version = await svc.db.run(accounts.set_password, user.id, hashed, user.id)
    request.session.clear()
    start_session(request.session, user)  # this browser stays logged in; every other session has ended
    return render(request, "staff/password.html", {"errors": [], "changed": True})


async def _accounts_render(
    request: Request, errors: list[str], status: int = 200, done: str = "", password: str | None = None
) -> Response:
    users = await services(request).db.run(accounts.all_accounts)
    context = {"users": users, "errors": errors, "done": done, "password": password, "me": await _me(request)}
    return render(request, "staff/accounts.html", context, status)


async def accounts_page(request: Request) -> Response:
    """``GET /admin/accounts``: every staff account, with reset, disable/enable and delete."""
    return await _accounts_render(request, [])


async def account_action(request: Request) -> Response:
    """``POST /admin/accounts/{user_id}/{action}``: one change, audited; it ends the user's sessions."""
    me = await _me(request)
    svc = services(request)
    user_id, action = int(request.path_params["user_id"]), request.path_params["action"]
    target = await svc.db.run(lambda s: s.get(User, user_id))
    if target is None:
        return await _accounts_render(request, ["No such staff account."], 404)
    password: str | None = None
    try:
        if action == "reset":
            password = accounts.generate_password()
            hashed = await anyio.to_thread.run_sync(hash_password, password)
            await svc.db.run(accounts.set_password, user_id, hashed, me.id)
        elif action in ("disable", "enable"):
            await svc.db.run(accounts.set_disabled, user_id, action == "disable", me.id)
        elif action == "delete":
            await svc.db.run(accounts.delete, user_id, me.id)
        else:
            return await _accounts_render(request, ["Unknown action."], 404)
    except accounts.AccountError as exc:
        return await _accounts_render(request, [str(exc).capitalize() + "."], 409)
    return await _accounts_render(request, [], done=f"{action}:{target.username}", password=password)


routes = [
    Route("/account/password", require_role(Role.FACILITATOR, Role.COORDINATOR)(password_page), methods=["GET"]),
    Route("/account/password", require_role(Role.FACILITATOR, Role.COORDINATOR)(change_password), methods=["POST"]),
    Route("/admin/accounts", require_role(Role.ADMIN)(accounts_page), methods=["GET"]),
    Route("/admin/accounts/{user_id:int}/{action:str}", require_role(Role.ADMIN)(account_action), methods=["POST"]),
]
