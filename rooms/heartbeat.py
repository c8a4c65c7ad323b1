"""Presence you can trust: a student socket that answers nothing for a while is closed as gone.

A closed lid or a lost network often sends no close frame, and TCP may not notice for minutes. The server sends
``ping`` to a socket it has not heard from for ``interval`` seconds; any frame from the client (its ``pong``
included) counts as heard. Silent for ``timeout`` seconds: the socket is closed with 4011 ``heartbeat_timeout``
and the student goes through the lifecycle's "disconnected" transition.
"""

from __future__ import annotations

import asyncio
import logging
import time

from rooms.connection import Connection
from rooms.protocol import CLOSE_HEARTBEAT, PING

log = logging.getLogger(__name__)


class Heartbeats:
    """Every student socket of this process on one timer, each still checked once a ``step`` at its own phase.

    A sleeping task a socket cost ~1 KB each and woke every ``step`` seconds for each socket (400 wake-ups a second
    for 1,000 students). One pass over every socket at once would ping a whole class that went quiet together at
    the same instant, and take all their answers at once. So the
    sockets are spread over ``SLOTS`` slots by when they were first watched, and the timer checks one slot each
    ``step / SLOTS``: the checks fall when each socket's own task would have made them.
    """

    SLOTS = 16

    def __init__(self, interval: float, timeout: float) -> None:
        self.interval, self.timeout = interval, timeout
        self.step = max(min(interval, timeout) / 2, 0.05)
        self._slots: list[dict[Connection, float]] = [{} for _ in range(self.SLOTS)]  # socket -> last pinged at
        self._tick = 0

    def watch(self, conn: Connection) -> None:
        self._slots[self._tick % self.SLOTS][conn] = 0.0

    def forget(self, conn: Connection) -> None:
        for slot in self._slots:
            if slot.pop(conn, None) is not None:
                return

    def __len__(self) -> int:
        return sum(len(slot) for slot in self._slots)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.step / self.SLOTS)
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        """Check the next slot: its sockets were last checked (or first watched) one ``step`` ago."""
        self._tick += 1
        self._check(self._slots[self._tick % self.SLOTS], now)

    def check(self, now: float) -> None:
        """Check every socket now, whatever its slot."""
        for slot in self._slots:
            self._check(slot, now)

    def _check(self, pinged_at: dict[Connection, float], now: float) -> None:
        """Ping the sockets silent for ``interval`` (once an interval), close those silent for ``timeout``."""
        for conn, last_ping in list(pinged_at.items()):
            try:
                if conn.closed.is_set():
                    del pinged_at[conn]
                    continue
                silent = now - conn.last_heard
                if silent >= self.timeout:
                    del pinged_at[conn]
                    conn.close(CLOSE_HEARTBEAT, "heartbeat_timeout")
                elif silent >= self.interval and now - last_ping >= self.interval:
                    conn.send(PING)
                    pinged_at[conn] = now
            except Exception:  # one socket's failure must not stop every other socket's heartbeat
                log.exception("heartbeat of a socket failed")
