"""Client frames read straight from uvicorn's websockets-sansio protocol (``app.ws_inbound``), over a real uvicorn on
127.0.0.1 (uvloop and asyncio): text frames framed by our code whole, split or batched, everything else through
websockets with uvicorn's answers and close codes, and reading paused while the app does not read."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from app.ws import _serve
from app.ws_direct import DirectFrames, ServerSendMiddleware
from app.ws_inbound import DirectReader
from rooms.connection import Connection
from tests.faults.rawws import RawSocket
from tests.support.server import free_port

MAX_SIZE = 65536


class Served:
    """An app whose socket reads through `DirectReader` and echoes each text; it records what its reader got.

    Path ``/hold``: the app takes the first message, then stops reading until ``release`` is set; ``/serve`` runs
    Bridgeway's own reader (`app.ws._serve`) with a handler that echoes the frame's ``text``.
    """

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.setups: list[tuple[bool, str]] = []  # direct reader on, the transport's protocol class
        self.held: list[tuple[int, bool]] = []  # messages waiting, reading paused
        self.release = threading.Event()
        self.done = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        if scope["path"] == "/serve":
            conn = Connection(websocket.send_text, 64, DirectFrames.of(websocket))

            async def echo(c: Connection, frame: dict[str, Any]) -> None:
                await asyncio.sleep(0)
                c.send(str(frame["text"]))

            await _serve(websocket, conn, echo)
            self.done.set()
            return
        reader = DirectReader.of(websocket)
        assert reader is not None
        protocol: Any = scope["bridgeway.server_send"].__self__
        self.setups.append((True, type(protocol.transport.get_protocol()).__name__))
        while True:
            item = await reader.get()
            self.items.append(item)
            if scope["path"] == "/hold" and len(self.items) == 1:
                await asyncio.sleep(0.5)  # the client floods meanwhile
                self.held.append((len(reader._items), protocol.read_paused))
                await asyncio.to_thread(self.release.wait, 10)
            if isinstance(item, str):
                await websocket.send_text(item)
            elif item["type"] == "websocket.disconnect":
                self.done.set()
                return


@pytest.fixture(params=["uvloop", "asyncio"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Served, int]]:
    app = Served()
    port = free_port()
    config = uvicorn.Config(
        ServerSendMiddleware(app),
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        loop=request.param,
        interface="asgi3",
        lifespan="off",
        log_level="warning",
        ws_max_size=MAX_SIZE,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        assert thread.is_alive()
        time.sleep(0.01)
    yield app, port
    while _opened:
        _opened.pop().close()
    server.should_exit = True
    thread.join(10)


def frame(payload: bytes, opcode: int = 0x1, fin: bool = True, masked: bool = True, wide: bool = False) -> bytes:
    """A client frame; ``wide``: its length in the 64-bit form whatever it is (legal, if unusual)."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    bit = 0x80 if masked else 0
    if wide or length >= 1 << 16:
        head = struct.pack("!BBQ", first, bit | 127, length)
    elif length >= 126:
        head = struct.pack("!BBH", first, bit | 126, length)
    else:
        head = struct.pack("!BB", first, bit | length)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


_opened: list[RawSocket] = []  # closed when the test's server stops


def _raw(port: int, path: str = "/ws") -> RawSocket:
    raw = RawSocket(port, path)
    raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _opened.append(raw)
    return raw


def _wait(event: threading.Event) -> None:
    assert event.wait(10)


TEXTS = ["a", "é" * 70, "x" * 300, "ü" * 20_000, '{"type":"ping"}', ""]


def test_text_frames_whole_split_or_batched_reach_the_app_in_order(served: tuple[Served, int]) -> None:
    app, port = served
    raw = _raw(port)
    data = b"".join(frame(text.encode()) for text in TEXTS) + frame(b"wide", wide=True)
    raw.sock.sendall(data)  # all in one write
    got = [raw.recv_frame()[1].decode() for _ in range(len(TEXTS) + 1)]
    assert got == [*TEXTS, "wide"]
    for size in (1, 2, 3, 7, 100):  # dribbled: headers and payloads cut anywhere
        for i in range(0, len(data), size):
            raw.sock.sendall(data[i : i + size])
            if size < 10 and i < 200:
                time.sleep(0.001)
        got = [raw.recv_frame()[1].decode() for _ in range(len(TEXTS) + 1)]
        assert got == [*TEXTS, "wide"]
    raw.sock.sendall(frame(struct.pack("!H", 1000), opcode=0x8))
    assert raw.close_code() == 1000
    _wait(app.done)
    assert app.setups == [(True, "_Inbound")]  # the direct reader and its framing were on
    assert app.items[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": ""}


def test_pings_fragments_and_binary_go_through_websockets_between_direct_frames(served: tuple[Served, int]) -> None:
    app, port = served
    raw = _raw(port)
    raw.sock.sendall(
        frame(b"one")
        + frame(b"are you there", opcode=0x9)  # ping
        + frame(b"fr", fin=False)
        + frame(b"ag", opcode=0x0, fin=False)
        + frame(b"ment", opcode=0x0)
        + frame(b"\x00\x01", opcode=0x2)  # binary: the app gets bytes
        + frame(b"two")
    )
    answers = [raw.recv_frame() for _ in range(4)]
    assert (0xA, b"are you there") in answers  # pong, whenever websockets answered it
    assert [payload for opcode, payload in answers if opcode == 0x1] == [b"one", b"fragment", b"two"]
    raw.sock.sendall(frame(struct.pack("!H", 4001) + b"bye", opcode=0x8))
    assert raw.close_code() == 4001
    _wait(app.done)
    assert app.items == [
        "one",
        "fragment",
        {"type": "websocket.receive", "bytes": b"\x00\x01"},
        "two",
        {"type": "websocket.disconnect", "code": 4001, "reason": "bye"},
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(b'{"type":"ping","x":"\xff\xfe"}'), 1007),
        (frame(b"plain", masked=False), 1002),
        (frame(b"x" * (MAX_SIZE + 1)), 1009),
        (frame(b"x" * 200, opcode=0x0), 1002),  # a continuation with nothing to continue
        (frame(b"a", fin=False) + frame(b"b"), 1002),  # a new message inside a fragmented one
    ],
    ids=["invalid-utf8", "unmasked", "too-long", "stray-continuation", "text-inside-fragments"],
)
def test_bad_frames_after_good_ones_close_as_uvicorn_does(served: tuple[Served, int], data: bytes, code: int) -> None:
    app, port = served
    raw = _raw(port)
    raw.sock.sendall(frame(b"fine"))
    assert raw.recv_frame() == (0x1, b"fine")
    raw.sock.sendall(data + frame(b"never read"))
    assert raw.close_code() == code
    _wait(app.done)
    assert app.items[0] == "fine"
    assert app.items[-1]["type"] == "websocket.disconnect"
    assert app.items[-1]["code"] == code
    assert "never read" not in app.items


def test_a_socket_dropped_without_a_close_frame_ends_the_reader(served: tuple[Served, int]) -> None:
    app, port = served
    raw = _raw(port)
    raw.sock.sendall(frame(b"hi") + frame(b"x" * 300)[:50])  # and half a frame
    assert raw.recv_frame() == (0x1, b"hi")
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()  # reset, no close frame
    _wait(app.done)
    assert app.items == ["hi", {"type": "websocket.disconnect", "code": 1005}]


def test_a_client_that_floods_while_the_app_is_busy_has_reading_paused(served: tuple[Served, int]) -> None:
    """The app takes one message and then stops reading: the server reads at most what arrived in one go and
    pauses; the rest waits in TCP buffers (the client's send blocks). Released, every frame arrives in order."""
    app, port = served
    raw = _raw(port, "/hold")
    count = 5000
    payloads = [f"{i:06d}".encode() * 150 for i in range(count)]  # 900 bytes each, 4.5 MB in all
    sent = threading.Event()

    def flood() -> None:
        with contextlib.suppress(OSError):  # the test failed and closed the socket
            raw.sock.sendall(b"".join(frame(p) for p in payloads))
            sent.set()

    threading.Thread(target=flood, daemon=True).start()
    deadline = time.monotonic() + 10
    while not app.held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sent.is_set()  # the server stopped reading: TCP holds the rest
    [(waiting, paused)] = app.held
    assert paused
    assert waiting < 300  # what one read (256 KiB at most) brought in, not the whole flood
    app.release.set()
    got = [raw.recv_frame()[1] for _ in range(count)]
    assert got == payloads
    assert sent.wait(10)


def test_bridgeways_reader_on_the_direct_path(served: tuple[Served, int]) -> None:
    _, port = served
    raw = _raw(port, "/serve")
    raw.sock.sendall(b"".join(frame(f'{{"type":"send","text":"m{i}"}}'.encode()) for i in range(50)))
    assert [raw.recv_frame()[1] for _ in range(50)] == [f"m{i}".encode() for i in range(50)]
    raw.send_frame(b"not json")
    assert b"bad_json" in raw.recv_frame()[1]  # the reader's own answer
    raw.close()
