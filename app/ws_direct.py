"""Text frames written straight to uvicorn's ``websockets-sansio`` protocol, several in one transport write.

Each frame sent through ASGI passes Starlette's WebSocket, two middleware wrappers and uvicorn's ``send``, and is
one ``write`` system call: three a chat message (its ack, its echo to the sender, its partner's copy). A socket's
`Connection` collects the frames of one event-loop pass and hands them here together (`Connection.write_frames`):
each stays its own WebSocket message, but the ack and the echo, and under load several messages, go out in one
``write``. Anything this cannot write now (the transport paused for a slow reader, a socket closing) goes the ASGI
way, through the socket's pump, which waits or fails as before. Other servers (the test client, other ``--ws``
choices) get no direct writer and use ASGI only.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.protocol import State

SERVER_SEND = "bridgeway.server_send"  # the scope key of the server's own ASGI send for a WebSocket
SERVER_RECEIVE = "bridgeway.server_receive"  # and of its own receive
_PROTOCOL = "WebSocketsSansIOProtocol"
_USED = ("conn", "transport", "writable", "disconnected", "close_sent", "handshake_complete")


class ServerSendMiddleware:
    """Keeps the server's own ``send`` and ``receive`` of each WebSocket in its scope (outermost, so nothing has
    wrapped them yet)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: the app's own awaitable is returned, so this layer keeps no frame alive for a socket.
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
            scope[SERVER_RECEIVE] = receive
        return self.app(scope, receive, send)


def server_receive(websocket: WebSocket) -> Receive:
    """The server's own ASGI ``receive`` of an accepted socket, for its reader: Starlette's ``WebSocket.receive``
    only adds checks of the socket's state, which a reader past ``accept`` that stops at the first disconnect never
    needs, and costs a coroutine a frame. Without the middleware, ``WebSocket.receive``."""
    receive: Receive | None = websocket.scope.get(SERVER_RECEIVE)
    return receive if receive is not None else websocket.receive


class DirectFrames:
    """Writes an accepted socket's text frames to uvicorn's sans-I/O protocol and its transport, all in one write."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    @classmethod
    def of(cls, websocket: WebSocket) -> DirectFrames | None:
        """The direct writer of ``websocket`` when uvicorn runs it with ``--ws websockets-sansio``, else None."""
        protocol = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
        if type(protocol).__name__ != _PROTOCOL or not all(hasattr(protocol, name) for name in _USED):
            return None
        return cls(protocol)

    def __call__(self, texts: list[str]) -> bool:
        """Write ``texts`` as WebSocket text messages in one transport write; False (nothing written) when the
        socket cannot take them now: the caller then sends them through ASGI, which waits or fails as it should."""
        protocol = self._protocol
        conn = protocol.conn
        if (
            protocol.disconnected
            or protocol.close_sent
            or not protocol.handshake_complete
            or not protocol.writable.is_set()
            or conn.state is not State.OPEN
            or protocol.transport.is_closing()
        ):
            return False
        for text in texts:
            conn.send_text(text.encode())
        protocol.transport.write(b"".join(conn.data_to_send()))
        return True
