"""A lean WebSocket client (websockets' sans-I/O ClientProtocol over an asyncio Protocol) and a tiny HTTP POST.

The high-level ``websockets`` client saturates its own core near 9,000 messages/s, which is about what the server
does; this one costs a fraction of that, so the benchmark measures the server rather than the client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

TextHandler = Callable[[str], None]


class WsClient(asyncio.Protocol):
    """One WebSocket connection; text frames go to ``on_text`` synchronously, in the event loop."""

    def __init__(self, uri: str, on_text: TextHandler, deflate: bool = False) -> None:
        extensions = [ClientPerMessageDeflateFactory()] if deflate else None
        self._proto = ClientProtocol(parse_uri(uri), extensions=extensions, max_size=1 << 20)
        self._on_text = on_text
        self._transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._fragments: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self._proto.send_request(self._proto.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self._proto.receive_data(data)
        for event in self._proto.events_received():
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Response) and not self.opened.done():
                if self._proto.handshake_exc is not None:
                    self.opened.set_exception(self._proto.handshake_exc)
                else:
                    self.opened.set_result(None)
        self._flush()

    def _frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.TEXT and frame.fin:
            self._on_text(bytes(frame.data).decode())
        elif frame.opcode in (Opcode.TEXT, Opcode.CONT):
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                self._on_text(b"".join(self._fragments).decode())
                self._fragments.clear()

    def eof_received(self) -> bool | None:
        self._proto.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    @property
    def is_open(self) -> bool:
        return self._proto.state is State.OPEN

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame, if it sent one."""
        received = self._proto.close_rcvd
        return received.code if received is not None else None

    def send_text(self, text: str) -> None:
        self._proto.send_text(text.encode())
        self._flush()

    def send_json(self, frame: dict[str, Any]) -> None:
        self.send_text(json.dumps(frame, separators=(",", ":")))

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._proto.send_close(1000)
            self._flush()
            self._transport.close()

    def _flush(self) -> None:
        if self._transport is None:
            return
        for chunk in self._proto.data_to_send():
            if chunk:
                self._transport.write(chunk)
            elif self._transport.can_write_eof():
                self._transport.write_eof()


async def connect(host: str, port: int, path: str, on_text: TextHandler, deflate: bool = False) -> WsClient:
    """Open a WebSocket to ``ws://host:port/path`` and wait for the handshake."""
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: WsClient(f"ws://{host}:{port}{path}", on_text, deflate), host, port
    )
    await client.opened
    return client


async def post_json(host: str, port: int, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST a JSON body over a fresh HTTP/1.1 connection; return (status, decoded JSON body)."""
    payload = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        raw = await reader.read()
    finally:
        writer.close()
    header, _, content = raw.partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in header.lower():
        content = _unchunk(content)
    return status, json.loads(content) if content else {}


def _unchunk(data: bytes) -> bytes:
    out, rest = [], data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)
