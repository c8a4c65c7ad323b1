"""One client connection: a bounded send queue, so a slow reader is dropped instead of stalling its room.

A frame for a socket with nothing queued or being written is written at once (``rooms.eager``): the transport
usually takes it, and then it costs neither a queue hand-over nor a wake-up of the socket's pump task (three a chat
message: its ack, its echo, its partner's copy). Only a write that has to wait (the client reads slowly, the
transport paused) goes on in the pump, and every frame after it queues behind it, so frames stay in order and a
reader that stalls still fills the queue and is closed as a slow consumer. With ``write_frames`` (uvicorn's
``websockets-sansio``, ``app.ws_direct``) the frames of one event-loop pass are collected and written together at
the end of it, in one system call.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rooms import eager
from rooms.protocol import CLOSE_SLOW_CONSUMER

SendText = Callable[[str], Coroutine[Any, Any, None]]
# Writes several text frames at once, each its own WebSocket message; False when the socket cannot take them now.
WriteFrames = Callable[[list[str]], bool]
_CLOSE = object()


class Closed:
    """Whether a connection closed: what of an ``asyncio.Event`` it uses (nothing waits on it), without the Event's
    waiter deque (~0.8 KB a socket)."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True


@dataclass(eq=False, slots=True)
class Connection:
    """State of one socket: who it is, where it is, and frames waiting to be written to it."""

    send_text: SendText
    queue_size: int = 256
    write_frames: WriteFrames | None = None
    session_id: int | None = None
    participant_id: int | None = None
    nonce: str = ""  # of the token that opened the socket (leave checks it)
    user_id: int | None = None
    room_id: int | None = None
    display_name: str = ""
    country: str = ""
    languages: tuple[str, ...] = ()
    class_id: int | None = None
    muted_until: datetime | None = None
    last_sent: float = 0.0
    last_typing: float = 0.0
    slow_mode_seconds: int = 0
    paused: bool = False
    last_heard: float = field(default_factory=time.monotonic)  # when the client last sent any frame
    closed: Closed = field(default_factory=Closed)  # is_set() / set(), as an Event without waiters
    close_code: int | None = None
    close_reason: str = ""
    # The send queue and its waits, made when first needed: most sockets never queue a frame (see `send`), and an
    # asyncio.Queue (three deques) and Event (one) cost ~3 KB a socket kept open.
    _queue: deque[object] | None = field(default=None, init=False)
    _woken: asyncio.Future[None] | None = field(default=None, init=False)  # the pump, waiting for a frame
    _drained: asyncio.Event | None = field(default=None, init=False)  # a catch-up page, waiting for room
    _held: list[str] | None = field(default=None, init=False)
    _idle: bool = field(default=True, init=False)  # no frame is being written: one may be written at once
    _pending: list[str] | None = field(default=None, init=False)  # for `write_frames` at the end of this pass

    async def wait_writable(self, free: int) -> None:
        """Wait until the send queue has ``free`` empty slots or the connection closed (catch-up pages wait here,
        so a long history flows at the client's pace instead of overflowing the queue)."""
        while not self.closed.is_set() and self.queue_size - len(self._queue or ()) < free:
            if self._drained is None:
                self._drained = asyncio.Event()
            self._drained.clear()
            await self._drained.wait()

    def _put(self, item: object) -> bool:
        """Queue ``item`` for the pump; False when the queue holds ``queue_size`` already."""
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        elif len(queue) >= self.queue_size:
            return False
        queue.append(item)
        woken, self._woken = self._woken, None
        if woken is not None and not woken.done():
            woken.set_result(None)
        return True

    async def _get(self) -> object:
        while not self._queue:
            woken = self._woken = asyncio.get_running_loop().create_future()
            await woken
        item = self._queue.popleft()
        if self._drained is not None:
            self._drained.set()
        return item

    @property
    def is_watcher(self) -> bool:
        return self.user_id is not None

    def hold_until(self) -> None:
        """Keep frames back until `release`: a socket's first frame must be its welcome, even when the room
        publishes something (a presence, an event) while the socket is being seated."""
        self._held = []

    def release(self, first: str) -> None:
        held, self._held = self._held or [], None
        self.send(first)
        for text in held:
            self.send(text)

    def send(self, text: str) -> bool:
        """Queue a frame; a full queue means the reader stalled, so the connection is closed instead."""
        if self.closed.is_set():
            return False
        if self._held is not None:
            if len(self._held) >= self.queue_size:
                self.close(CLOSE_SLOW_CONSUMER, "slow_consumer")
                return False
            self._held.append(text)
            return True
        pending = self._pending
        if pending is not None:
            if len(pending) >= self.queue_size:  # as many as a full queue: the same rule
                self.close(CLOSE_SLOW_CONSUMER, "slow_consumer")
                return False
            pending.append(text)
            return True
        if self._idle and not self._queue:
            if self.write_frames is not None:
                self._pending = [text]
                _flush_soon(self)
            else:
                self._write_now(text)
            return True
        if not self._put(text):
            self.close(CLOSE_SLOW_CONSUMER, "slow_consumer")
            return False
        return True

    def _write_now(self, text: str) -> None:
        """Write on the caller's stack; what has to wait, or fails, goes to the pump (which raises a failure, so the
        socket is torn down as when the pump's own write failed). The queue is empty, so it goes first."""
        self._idle = False
        try:
            rest: object = eager.start(self.send_text(text))
        except Exception as exc:  # the socket is gone: no more writes at once
            self._put(_Failed(exc))
            return
        if rest is None:
            self._idle = True
        else:
            self._put(rest)

    def _flush(self) -> None:
        """Write this pass's frames together; what the socket cannot take now goes to the pump, in order."""
        pending, self._pending = self._pending, None
        if not pending:
            return  # closed meanwhile: `close` queued them for the pump
        assert self.write_frames is not None
        try:
            written = self.write_frames(pending)
        except Exception as exc:  # the socket is gone: the pump raises it, as for its own failed write
            self._idle = False
            self._put(_Failed(exc))
            return
        if not written:
            for text in pending:
                self._put(text)

    def close(self, code: int, reason: str) -> None:
        if self.closed.is_set():
            return
        self.close_code, self.close_reason = code, reason
        self.closed.set()
        pending, self._pending = self._pending, None
        for text in pending or ():  # frames sent before the close are written before it, as queued ones are
            self._put(text)
        if self._drained is not None:
            self._drained.set()
        # Wake the writer even when the queue is full.
        while not self._put(_CLOSE):
            assert self._queue is not None
            self._queue.popleft()

    async def pump(self) -> None:
        """Write queued frames to the socket until the connection is closed."""
        while True:
            item = await self._get()
            if item is _CLOSE:
                return
            self._idle = False
            if isinstance(item, str):
                await self.send_text(item)
            elif isinstance(item, eager.Rest):
                await item
            else:
                assert isinstance(item, _Failed)
                raise item.error
            self._idle = True


# The sockets with frames to write at the end of this loop pass, and the loop whose callback writes them: one
# callback a pass for all of them instead of one a socket (a message's frames go to two sockets or more). One
# tuple, swapped whole, so a second event loop (another thread's) starts its own batch and never adds to this one.
_batch: tuple[asyncio.AbstractEventLoop | None, list[Connection]] = (None, [])


def _flush_soon(conn: Connection) -> None:
    global _batch
    loop = asyncio.get_running_loop()
    owner, conns = _batch
    if owner is loop:
        conns.append(conn)
        return
    conns = [conn]
    _batch = (loop, conns)
    loop.call_soon(_flush_all, conns)


def _flush_all(conns: list[Connection]) -> None:
    global _batch
    if _batch[1] is conns:
        _batch = (None, [])
    for conn in conns:
        conn._flush()


@dataclass(slots=True)
class _Failed:
    """A write at once failed: the pump raises it."""

    error: Exception
