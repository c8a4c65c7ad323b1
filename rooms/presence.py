"""Presence across processes: each process stamps ``last_seen`` on the students it hears, and sweeps up ghosts.

A socket's own heartbeat (``rooms.heartbeat``) notices a silent client; this covers what no socket can: a server
process that died (SIGKILL, power) with students on it. Nobody refreshes their ``last_seen`` any more, so the lobby
does not pair them, and after the sweep delay they are taken out of the pool (``away``) and out of their rooms
(``left``, partner told and re-paired) by whichever process sweeps first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from rooms import membership
from rooms.clock import utcnow
from rooms.database import Database
from rooms.hub import Hub
from rooms.lifecycle import Lifecycle

log = logging.getLogger(__name__)


class Presence:
    def __init__(
        self, db: Database, hub: Hub, lifecycle: Lifecycle, interval: float, stale_after: float, sweep_after: float
    ) -> None:
        self.db, self.hub, self.lifecycle = db, hub, lifecycle
        self.interval, self.stale_after, self.sweep_after = interval, stale_after, sweep_after

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except Exception:
                log.exception("presence beat failed; retrying")

    async def beat(self) -> None:
        limit = time.monotonic() - self.stale_after
        live = [pid for pid, conn in self.hub.participants.items() if conn.last_heard >= limit]
        if live:
            await self.db.run(membership.seen, live)
        cutoff = utcnow() - timedelta(seconds=self.sweep_after)
        swept = await self.db.run(membership.stale, cutoff)
        for session_id, pid in swept.away:
            await self.lifecycle.show(session_id, pid)
        for session_id, change in swept.gone:
            await self.lifecycle.swept(session_id, change)
