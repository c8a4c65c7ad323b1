"""Frames written straight to uvicorn's websockets-sansio protocol: one transport write a loop pass, each frame still
its own WebSocket message, and a paused transport still gets them later, in order, through ASGI."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from app.ws_direct import DirectFrames, ServerSendMiddleware, _framed
from rooms.connection import Connection

UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


UPGRADE_DEFLATE = UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _messages(data: bytes) -> list[str]:
    """The text messages a client reads from ``data`` (server frames after the handshake), one a frame."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    texts = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as parsed:
            frame = parsed.value
        assert frame.fin
        assert frame.opcode is Opcode.TEXT
        texts.append(bytes(frame.data).decode())
    return texts


async def _socket(run: Any, deflate: bool = False) -> tuple[WebSocketsSansIOProtocol, _Transport]:
    """A uvicorn websockets-sansio connection, handshake done, whose app runs ``run(conn)`` after accepting."""

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        frames = DirectFrames.of(websocket)
        assert frames is not None  # the optimisation is on under this server
        await run(Connection(websocket.send_text, 8, frames))

    # asgi3 named: uvicorn guesses ASGI 2 for an app whose __call__ is not a coroutine function (the middleware
    # returns the inner awaitable; in the app it sits inside Starlette, which uvicorn sees)
    config = Config(
        app=ServerSendMiddleware(endpoint),
        ws="websockets-sansio",
        lifespan="off",
        log_level="warning",
        interface="asgi3",
        ws_per_message_deflate=deflate,
    )
    config.load()
    protocol = WebSocketsSansIOProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    transport = _Transport()
    protocol.connection_made(transport)
    protocol.data_received(UPGRADE_DEFLATE if deflate else UPGRADE)
    return protocol, transport


async def test_the_frames_of_one_pass_go_out_in_one_write_each_its_own_message() -> None:
    done = asyncio.Event()

    async def run(conn: Connection) -> None:
        conn.send("ack")
        conn.send("echo")
        conn.send("partner")
        await asyncio.sleep(0.01)
        conn.send("next")
        await asyncio.sleep(0.01)
        done.set()

    _, transport = await _socket(run)
    await asyncio.wait_for(done.wait(), 5)
    assert transport.writes[0].startswith(b"HTTP/1.1 101")
    after = transport.writes[1:]
    assert [_messages(w) for w in after] == [["ack", "echo", "partner"], ["next"]]


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536, 70000], ids=lambda n: f"{n}-bytes")
def test_frames_are_the_bytes_websockets_writes(length: int) -> None:
    """Each frame length's header (7-bit, 16-bit and 64-bit lengths), with text that is not all ASCII."""
    server = ServerProtocol()
    server.state = State.OPEN
    texts = ["é" * (length // 2) + "x" * (length % 2), '{"type":"ack"}']
    for text in texts:
        server.send_text(text.encode())
    assert b"".join(_framed([], texts)) == b"".join(server.data_to_send())


async def test_long_and_short_frames_of_one_pass_reach_the_client_whole() -> None:
    done = asyncio.Event()
    texts = ["a" * 70_000, "b" * 300, "c", "ü" * 40_000]

    async def run(conn: Connection) -> None:
        for text in texts:
            conn.send(text)
        await asyncio.sleep(0.01)
        done.set()

    _, transport = await _socket(run)
    await asyncio.wait_for(done.wait(), 5)
    assert [_messages(w) for w in transport.writes[1:]] == [texts]


async def test_compressed_frames_are_left_to_websockets() -> None:
    """With permessage-deflate negotiated, the frames are websockets' own: compressed (RSV1 set), as a client
    inflates them."""
    done = asyncio.Event()

    async def run(conn: Connection) -> None:
        conn.send("x" * 1000)
        conn.send("y")
        await asyncio.sleep(0.01)
        done.set()

    _, transport = await _socket(run, deflate=True)
    await asyncio.wait_for(done.wait(), 5)
    assert b"permessage-deflate" in transport.writes[0]
    data = b"".join(transport.writes[1:])
    inflate = zlib.decompressobj(-15)  # the client's side of permessage-deflate (context kept between messages)
    received = []
    while data:
        assert data[0] == 0xC1  # FIN, RSV1 (compressed, as only websockets writes them), text
        length, data = data[1], data[2:]  # the compressed frames here are shorter than 126 bytes
        assert length < 126
        received.append(inflate.decompress(data[:length] + b"\x00\x00\xff\xff").decode())
        data = data[length:]
    assert received == ["x" * 1000, "y"]


async def test_a_paused_transport_gets_them_through_asgi_once_it_resumes_in_order() -> None:
    done = asyncio.Event()
    accepted: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()

    async def run(conn: Connection) -> None:
        accepted.set_result(conn)
        await conn.pump()
        done.set()

    protocol, transport = await _socket(run)
    conn = await asyncio.wait_for(accepted, 5)
    written = len(transport.writes)
    protocol.pause_writing()  # the client reads slowly: the kernel buffer is full
    for text in ("one", "two", "three"):
        conn.send(text)
    await asyncio.sleep(0.01)
    assert len(transport.writes) == written  # nothing written while paused
    conn.send("four")  # queued behind the others
    protocol.resume_writing()
    await asyncio.sleep(0.01)
    assert _messages(b"".join(transport.writes[written:])) == ["one", "two", "three", "four"]
    conn.close(1000, "")
    await asyncio.wait_for(done.wait(), 5)


async def test_no_direct_writer_without_uvicorns_sansio_protocol() -> None:
    async def send(message: Any) -> None:
        pass

    async def receive() -> Any:
        return {}

    scope = {"type": "websocket", "path": "/ws", "headers": [], "bridgeway.server_send": send}
    assert DirectFrames.of(WebSocket(scope, receive, send)) is None
