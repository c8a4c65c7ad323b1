"""How ``bridgeway serve`` runs uvicorn: proxy trust, connection cap and timeouts against slow clients.

uvicorn 0.54 has a keep-alive timeout and ``limit_concurrency`` (a 503 once the headers of a request are in;
not used: the cap below counts the same connections, earlier), but no timeout for the request head itself and no
cap at accept time: 300 clients that send half a request
line each and then nothing held 300 sockets open indefinitely. ``GuardedHttpToolsProtocol`` adds both:
a connection over ``BRIDGEWAY_MAX_CONNECTIONS`` is closed as it is accepted, and a connection whose request
head is not complete ``BRIDGEWAY_HEADER_TIMEOUT`` seconds after it opened (or after its previous response)
is closed. WebSocket handshakes are HTTP requests, so the same timeout covers them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.settings import Settings, load_settings

log = logging.getLogger("bridgeway.serving")


@functools.cache
def _settings() -> Settings:
    # uvicorn builds protocols itself (in each worker process), so they read the same BRIDGEWAY_* settings here.
    return load_settings()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request-head deadline and a cap on open connections."""

    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= _settings().max_connections:
            log.warning("connection cap (%s) reached: closing a new connection", _settings().max_connections)
            transport.abort()
            return
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # the next request's head is already in: it starts now, no deadline
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._arm_head_deadline()  # a kept-alive connection must send its next head in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        if self.transport is None:  # refused in connection_made: uvicorn never saw it
            return
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(_settings().header_timeout, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn keyword arguments that carry Bridgeway's network settings."""
    trusted = [ip.strip() for ip in settings.forwarded_allow_ips if ip.strip()]
    return {
        "http": GuardedHttpToolsProtocol,
        # Forwarded headers are believed only from the configured proxies; uvicorn's own default trusts
        # 127.0.0.1, which let anyone on the machine (or a local proxy forwarding the header) pick an address.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or [],
        "timeout_keep_alive": settings.keep_alive_timeout,
    }
