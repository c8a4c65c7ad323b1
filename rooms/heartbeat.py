"""Presence you can trust: a student socket that answers nothing for a while is closed as gone.

A closed lid or a lost network often sends no close frame, and TCP may not notice for minutes. The server sends
``ping`` to a socket it has not heard from for ``interval`` seconds; any frame from the client (its ``pong``
included) counts as heard. Silent for ``timeout`` seconds: the socket is closed with 4011 ``heartbeat_timeout``
and the student goes through the lifecycle's "disconnected" transition.
"""

from __future__ import annotations

import asyncio
import time

from rooms.connection import Connection
from rooms.protocol import CLOSE_HEARTBEAT, PING


async def heartbeat(conn: Connection, interval: float, limit: float) -> None:
    """Run until the connection closes; close it when the client falls silent."""
    step = max(min(interval, limit) / 2, 0.05)
    pinged_at = 0.0
    while not conn.closed.is_set():
        await asyncio.sleep(step)
        now = time.monotonic()
        silent = now - conn.last_heard
        if silent >= limit:
            conn.close(CLOSE_HEARTBEAT, "heartbeat_timeout")
            return
        if silent >= interval and now - pinged_at >= interval:
            conn.send(PING)
            pinged_at = now
