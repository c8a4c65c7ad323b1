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
    """Every student socket of this process on one timer.

    A sleeping task a socket cost ~1 KB each and woke every ``step`` seconds for each socket (400 wake-ups a second
    for 1,000 students); one pass over all of them every ``step`` does the same checks at the same times.
    """

    def __init__(self, interval: float, timeout: float) -> None:
        self.interval, self.timeout = interval, timeout
        self.step = max(min(interval, timeout) / 2, 0.05)
        self._pinged_at: dict[Connection, float] = {}

    def watch(self, conn: Connection) -> None:
        self._pinged_at[conn] = 0.0

    def forget(self, conn: Connection) -> None:
        self._pinged_at.pop(conn, None)

    def __len__(self) -> int:
        return len(self._pinged_at)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.step)
            self.check(time.monotonic())

    def check(self, now: float) -> None:
        """Ping the sockets silent for ``interval`` (once an interval), close those silent for ``timeout``."""
        pinged_at = self._pinged_at
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
