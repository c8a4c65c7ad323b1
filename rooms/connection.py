"""One client connection: a bounded send queue, so a slow reader is dropped instead of stalling its room."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from rooms.protocol import CLOSE_SLOW_CONSUMER

SendText = Callable[[str], Awaitable[None]]
_CLOSE = object()


@dataclass(eq=False)
class Connection:
    """State of one socket: who it is, where it is, and frames waiting to be written to it."""

    send_text: SendText
    queue_size: int = 256
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
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    close_reason: str = ""
    _queue: asyncio.Queue[object] = field(init=False)
    _held: list[str] | None = field(default=None, init=False)
    _drained: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.queue_size)

    async def wait_writable(self, free: int) -> None:
        """Wait until the send queue has ``free`` empty slots or the connection closed (catch-up pages wait here,
        so a long history flows at the client's pace instead of overflowing the queue)."""
        while not self.closed.is_set() and self.queue_size - self._queue.qsize() < free:
            self._drained.clear()
            await self._drained.wait()

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
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close(CLOSE_SLOW_CONSUMER, "slow_consumer")
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        if self.closed.is_set():
            return
        self.close_code, self.close_reason = code, reason
        self.closed.set()
        self._drained.set()
        # Wake the writer even when the queue is full.
        while True:
            try:
                self._queue.put_nowait(_CLOSE)
                break
            except asyncio.QueueFull:
                self._queue.get_nowait()

    async def pump(self) -> None:
        """Write queued frames to the socket until the connection is closed."""
        while True:
            item = await self._queue.get()
            self._drained.set()
            if item is _CLOSE:
                return
            assert isinstance(item, str)
            await self.send_text(item)
