"""Text frames written straight to uvicorn's ``websockets-sansio`` protocol, several in one transport write.

Each frame sent through ASGI passes Starlette's WebSocket, two middleware wrappers and uvicorn's ``send``, and is
one ``write`` system call: three a chat message (its ack, its echo to the sender, its partner's copy). A socket's
`Connection` collects the frames of one event-loop pass and hands them here together (`Connection.write_frames`):
each stays its own WebSocket message, but the ack and the echo, and under load several messages, go out in one
``write``. Anything this cannot write now (the transport paused for a slow reader, a socket closing) goes the ASGI
way, through the socket's pump, which waits or fails as before. Other servers (the test client, other ``--ws``
choices) get no direct writer and use ASGI only. Without compression or a debug log, the frames' bytes are written
here (`_framed`), as websockets' ``send_text`` writes them, without its `Frame` object and buffer for each.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.protocol import State

SERVER_SEND = "bridgeway.server_send"  # the scope key of the server's own ASGI send for a WebSocket
SERVER_RECEIVE = "bridgeway.server_receive"  # and of its own receive
_PROTOCOL = "WebSocketsSansIOProtocol"
_USED = ("conn", "transport", "writable", "disconnected", "close_sent", "handshake_complete")
_USED_OF_CONN = ("state", "extensions", "debug", "expect_continuation_frame", "send_text", "data_to_send")


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
        protocol: Any = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
        if type(protocol).__name__ != _PROTOCOL or not all(hasattr(protocol, name) for name in _USED):
            return None
        if not all(hasattr(protocol.conn, name) for name in _USED_OF_CONN):
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
        if conn.extensions or conn.debug or conn.expect_continuation_frame:
            for text in texts:
                conn.send_text(text.encode())
            protocol.transport.write(b"".join(conn.data_to_send()))
        else:
            protocol.transport.write(b"".join(_framed(conn.data_to_send(), texts)))
        return True


_HEAD = struct.Struct("!BB").pack
_HEAD_16 = struct.Struct("!BBH").pack
_HEAD_64 = struct.Struct("!BBQ").pack
_TEXT_FIN = 0x81  # FIN, opcode 1 (text)


def _framed(out: list[bytes], texts: list[str]) -> list[bytes]:
    """``texts`` as server text frames after ``out``: what websockets' ``send_text`` writes for a connection with no
    extension (no compression) and no debug log, unmasked as a server's frames are, without building a `Frame`
    object and a BytesIO for each (~2 µs a frame; three a message)."""
    for text in texts:
        data = text.encode()
        length = len(data)
        if length < 126:
            out.append(_HEAD(_TEXT_FIN, length))
        elif length < 65536:
            out.append(_HEAD_16(_TEXT_FIN, 126, length))
        else:
            out.append(_HEAD_64(_TEXT_FIN, 127, length))
        out.append(data)
    return out
