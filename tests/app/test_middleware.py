"""The middleware on its own: which headers each response gets (and that its own ones win); which connections the
cookie session is read for."""

from __future__ import annotations

import asyncio
import json
from base64 import b64encode

import pytest
from itsdangerous import TimestampSigner
from starlette.types import Message, Receive, Scope, Send

from app.middleware import CSP, SecurityHeadersMiddleware, SessionsExceptSockets


def _headers(path: str, own: list[tuple[bytes, bytes]], *, hsts: bool) -> list[tuple[bytes, bytes]]:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(own)})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    asyncio.run(SecurityHeadersMiddleware(app, hsts=hsts)({"type": "http", "path": path}, receive, send))
    return list(sent[0]["headers"])


def test_every_response_gets_the_headers_in_order_and_static_files_keep_their_caching() -> None:
    page = _headers("/join", [(b"content-type", b"text/html")], hsts=True)
    assert [name for name, _ in page] == [
        b"content-type",
        b"content-security-policy",
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"permissions-policy",
        b"cross-origin-opener-policy",
        b"cache-control",
        b"strict-transport-security",
    ]
    assert dict(page)[b"content-security-policy"] == CSP.encode()
    assert dict(page)[b"cache-control"] == b"no-store"
    static = dict(_headers("/static/app.css", [], hsts=False))
    assert b"cache-control" not in static
    assert b"strict-transport-security" not in static
    assert static[b"x-frame-options"] == b"DENY"


def test_a_header_the_response_set_itself_is_kept() -> None:
    own = _headers("/export.csv", [(b"cache-control", b"private"), (b"x-frame-options", b"SAMEORIGIN")], hsts=False)
    assert [value for name, value in own if name == b"cache-control"] == [b"private"]
    assert [value for name, value in own if name == b"x-frame-options"] == [b"SAMEORIGIN"]


@pytest.mark.parametrize(
    ("kind", "path", "root_path", "expected"),
    [
        ("websocket", "/ws", "", None),
        ("websocket", "/ws/watch", "", {"uid": 7}),
        ("websocket", "/ws", "/prefix", {"uid": 7}),  # mounted elsewhere: not the student socket, read as before
        ("http", "/ws", "", {"uid": 7}),
        ("http", "/chat", "", {"uid": 7}),
    ],
    ids=["student-socket", "watch-socket", "other-root", "http-same-path", "page"],
)
def test_session_is_read_for_every_connection_but_the_student_socket(
    kind: str, path: str, root_path: str, expected: dict[str, int] | None
) -> None:
    """The student socket authenticates by its hello's token; the watch socket and pages still get the session."""
    secret = "test-secret"
    cookie = TimestampSigner(secret).sign(b64encode(json.dumps({"uid": 7}).encode())).decode()
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        pass

    middleware = SessionsExceptSockets(
        app,
        sockets={"/ws"},
        secret_key=secret,
        session_cookie="bw_session",
        max_age=3600,
        same_site="lax",
        https_only=False,
    )
    scope = {
        "type": kind,
        "path": path,
        "root_path": root_path,
        "headers": [(b"cookie", f"bw_session={cookie}".encode())],
    }
    asyncio.run(middleware(scope, receive, send))
    assert seen[0].get("session") == expected
