"""Pure-ASGI middleware: security headers on every response and a request body size limit."""

from __future__ import annotations

from collections.abc import Awaitable, Collection
from typing import Literal

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Security headers on every response; ``Cache-Control: no-store`` on everything but static files.

    Pages carry a student's token (/chat), student messages (console, queue, exports) or a CSRF token: none
    may stay in a shared school computer's browser cache or a proxy. Static files keep their validators.
    A header the response set itself is left as it is.
    """

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        defaults = [
            ("content-security-policy", CSP),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
            ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
            ("cross-origin-opener-policy", "same-origin"),
        ]
        hsts_header = [("strict-transport-security", "max-age=31536000; includeSubDomains")] if hsts else []
        # Raw (name, value) pairs built once: each response appends the ones it lacks (1.9 µs a response, 4.4 with
        # seven ``MutableHeaders.setdefault`` calls that each scanned and re-encoded the headers).
        self._static = _raw([*defaults, *hsts_header])
        self._others = _raw([*defaults, ("cache-control", "no-store"), *hsts_header])

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: a WebSocket gets the app's own awaitable, so no frame of this layer stays alive
        # for the socket's whole life (~1 KB a connection a layer).
        return self._http(scope, receive, send) if scope["type"] == "http" else self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        defaults = self._static if scope["path"].startswith("/static/") else self._others

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers)
                present = {name for name, _ in headers}  # ASGI header names are lower-case bytes
                headers.extend(header for header in defaults if header[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionsExceptSockets(SessionMiddleware):
    """Starlette's signed cookie session, except for the WebSocket paths in ``sockets``, which never read it.

    A student's browser sends its session cookie (it holds the chat page's token) with every handshake of ``/ws``;
    the student socket authenticates by the token in its ``hello`` instead, so checking the cookie's signature and
    decoding it (~30-50 µs) and wrapping every ASGI send of the socket was work for nothing. Such a socket's scope has
    no ``session``. A WebSocket sends no ``http.response.start``, so the session's ``Set-Cookie`` never applied.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        sockets: Collection[str],
        secret_key: str,
        session_cookie: str,
        max_age: int,
        same_site: Literal["lax", "strict", "none"],
        https_only: bool,
    ) -> None:
        super().__init__(
            app, secret_key, session_cookie=session_cookie, max_age=max_age, same_site=same_site, https_only=https_only
        )
        self._sockets = frozenset(sockets)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:  # type: ignore[override]
        if scope["type"] == "websocket" and scope["path"] in self._sockets and not scope.get("root_path"):
            return self.app(scope, receive, send)
        return super().__call__(scope, receive, send)


def _raw(headers: list[tuple[str, str]]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers)


class BodySizeLimitMiddleware:
    """Reject request bodies over ``max_bytes`` with 413 before the app reads them into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A WebSocket passes straight through, keeping no frame of this layer (see SecurityHeadersMiddleware).
        return self._http(scope, receive, send) if scope["type"] == "http" else self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(send)
                return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _too_large(send)
        except Exception:
            if too_large and not response_started:
                await _too_large(send)
            else:
                raise


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b"Request body too large"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
