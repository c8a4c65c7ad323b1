"""Text frames read straight from uvicorn's ``websockets-sansio`` protocol into the socket's reader.

Through ASGI, each client frame is parsed by websockets (a generator a frame, a `Frame` object), wrapped in an ASGI
dict, put on uvicorn's ``asyncio.Queue`` (which pauses the transport's reading until the reader takes it, then resumes
it) and taken by uvicorn's ``receive`` coroutine. For an accepted socket under ``websockets-sansio``,
`DirectReader` takes over the end of that: a text message is handed to the waiting reader as its ``str``, with no
queue, no dict and no pause and resume of reading when the reader is waiting for it. When the reader is busy with an
earlier frame, the message is kept and reading paused until the reader takes it, as uvicorn does, so a client that
floods is still held back by TCP. Its transport's ``data_received`` (`_Inbound`) frames the common case itself: a
complete, masked, unfragmented text frame no longer than the server's max size, whose text is valid UTF-8, on an
open connection with no extension and no debug log. Every other frame (control frames, fragments, a frame too long,
bad UTF-8, anything after a close) goes whole to websockets, through uvicorn's own ``data_received``, so its answers
(pong, close 1009, 1007, 1002) and the close code the app sees are uvicorn's. Other servers (the test client, other
``--ws`` choices) get no direct reader and use ASGI.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from starlette.types import Message
from starlette.websockets import WebSocket
from websockets.protocol import State
from websockets.speedups import apply_mask

from app.ws_direct import SERVER_SEND

# A reader's next item: the text of a text message, or an ASGI message (a disconnect; binary data).
Item = str | Message
_PROTOCOL = "WebSocketsSansIOProtocol"
_USED = (
    "queue", "frames", "curr_msg_data_type", "send_receive_event_to_app", "read_paused", "transport", "conn",
    "close_sent", "logger", "handle_parser_exception", "data_received", "eof_received", "connection_lost",
    "pause_writing", "resume_writing", "loop",
)  # fmt: skip
# what `_Inbound` reads of websockets' protocol: without any of it, every frame goes through websockets
_FRAMING = ("state", "extensions", "debug", "current_size", "max_message_size", "max_fragment_size")
_TEXT_FIN = 0x81  # FIN, no RSV bit, opcode 1 (text)


class DirectReader:
    """The messages of one accepted socket, handed from uvicorn's protocol to its reader (`get`)."""

    __slots__ = ("_items", "_loop", "_protocol", "_waiter")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._loop: asyncio.AbstractEventLoop = protocol.loop
        self._items: deque[Item] = deque()
        self._waiter: asyncio.Future[Item] | None = None
        queue = protocol.queue
        while not queue.empty():  # frames that came before the reader (uvicorn has paused reading for them)
            self._items.append(queue.get_nowait())
        protocol.queue = self  # uvicorn puts its disconnects here (``put_nowait``)
        protocol.send_receive_event_to_app = self._message  # the messages websockets parsed
        conn = protocol.conn
        if all(hasattr(conn, name) for name in _FRAMING) and not conn.extensions and not conn.debug:
            protocol.transport.set_protocol(_Inbound(protocol, self))

    @classmethod
    def of(cls, websocket: WebSocket) -> DirectReader | None:
        """The direct reader of accepted ``websocket`` under uvicorn's ``--ws websockets-sansio``, else None."""
        protocol: Any = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
        if type(protocol).__name__ != _PROTOCOL or not all(hasattr(protocol, name) for name in _USED):
            return None
        if not hasattr(protocol.conn, "send_close") or protocol.conn.state is not State.OPEN:
            return None
        if not isinstance(protocol.queue, asyncio.Queue) or protocol.close_sent:
            return None
        return cls(protocol)

    async def get(self) -> Item:
        """The next message: a text message's ``str``, or uvicorn's ASGI message (``websocket.disconnect``, binary)."""
        items = self._items
        if items:
            item = items.popleft()
            protocol = self._protocol
            if not items and protocol.read_paused:
                protocol.read_paused = False
                protocol.transport.resume_reading()
            return item
        waiter = self._waiter = self._loop.create_future()
        message: Item = await waiter
        return message

    def put_nowait(self, message: Item) -> None:
        """uvicorn's disconnects (close frame, lost transport, parser error, the app's close, shutdown)."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():  # not cancelled with the reader
                waiter.set_result(message)
                return
        self._items.append(message)

    def empty(self) -> bool:
        return not self._items

    def message(self, item: Item) -> None:
        """A data message: to the waiting reader, else kept with reading paused until the reader takes it."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(item)
                return
        self._items.append(item)
        protocol = self._protocol
        if not protocol.read_paused:
            protocol.read_paused = True
            protocol.transport.pause_reading()

    def _message(self) -> None:
        """uvicorn's ``send_receive_event_to_app`` (a message websockets parsed), handed over as `message` does."""
        protocol = self._protocol
        frames = protocol.frames
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        protocol.frames = []
        if protocol.close_sent:
            return  # past the app's close: discarded, as uvicorn does
        if protocol.curr_msg_data_type != "text":
            self.message({"type": "websocket.receive", "bytes": data})
            return
        try:
            text = data.decode()
        except UnicodeDecodeError:
            # uvicorn's words (app.ws.MalformedFrameLog rate-limits them) and its close
            protocol.logger.exception("Invalid UTF-8 sequence received from client.")
            protocol.conn.send_close(1007)
            protocol.handle_parser_exception()
            return
        self.message(text)


class _Inbound:
    """The transport's protocol once the direct reader is on: frames the common text frame itself, gives every
    other frame whole to uvicorn's protocol (so websockets' parser only ever starts at a frame's first byte), and
    passes everything else (write pauses, end of file, a lost connection) to uvicorn's protocol."""

    __slots__ = (
        "_conn",
        "_max_size",
        "_protocol",
        "_reader",
        "_rest",
        "_slow",
        "connection_lost",
        "eof_received",
        "pause_writing",
        "resume_writing",
    )  # fmt: skip

    def __init__(self, protocol: Any, reader: DirectReader) -> None:
        self._protocol = protocol
        self._reader = reader
        self._conn = protocol.conn
        conn = protocol.conn
        sizes = [size for size in (conn.max_message_size, conn.max_fragment_size) if size is not None]
        self._max_size: int | None = min(sizes) if sizes else None  # websockets' bound on an unfragmented frame
        self._rest = b""  # the start of a frame not complete yet
        self._slow = protocol.data_received  # uvicorn's: websockets' parser, then its events
        self.eof_received = protocol.eof_received
        self.connection_lost = protocol.connection_lost
        self.pause_writing = protocol.pause_writing
        self.resume_writing = protocol.resume_writing

    def connection_made(self, transport: Any) -> None:  # pragma: no cover - the connection was made before
        pass

    def data_received(self, data: bytes) -> None:
        if self._rest:
            data, self._rest = self._rest + data, b""
        conn = self._conn
        if conn.state is not State.OPEN:  # closing: websockets reads the rest (the close reply, or discards it)
            self._slow(data)
            return
        end = len(data)
        pos = 0
        max_size = self._max_size
        protocol = self._protocol
        reader = self._reader
        while pos < end:
            if end - pos < 2:
                break
            second = data[pos + 1]
            length = second & 0x7F
            if not second & 0x80:  # unmasked: websockets closes it 1002 from the header
                self._slow(data[pos:] if pos else data)
                return
            if length < 126:
                start = pos + 6
            elif length == 126:
                if end - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                start = pos + 8
            else:
                if end - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10])
                start = pos + 14
            if max_size is not None and length > max_size:  # websockets closes it 1009 from the header
                self._slow(data[pos:] if pos else data)
                return
            stop = start + length
            if stop > end:
                break
            if (
                data[pos] == _TEXT_FIN
                and conn.current_size is None  # no fragmented message in progress
                and not protocol.close_sent
                and conn.state is State.OPEN
            ):
                try:
                    text = apply_mask(data[start:stop], data[start - 4 : start]).decode()
                except UnicodeDecodeError:
                    self._slow(data[pos:stop])  # websockets parses it, uvicorn's path closes 1007
                else:
                    reader.message(text)
            elif conn.state is State.OPEN:
                self._slow(data[pos:stop])  # one whole frame: control, fragment, binary, RSV bits
            else:
                self._slow(data[pos:])
                return
            pos = stop
        if pos < end:
            self._rest = data[pos:]
