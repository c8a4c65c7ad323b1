"""After a broker outage, re-send what other processes stored meanwhile: live fan-out could not carry it."""

from __future__ import annotations

from datetime import datetime, timedelta

from rooms.clock import utcnow
from rooms.database import Database
from rooms.hub import Hub
from rooms.protocol import dumps, message_frame
from rooms.store import messages_since_with_senders
from rooms.tasks import Tasks


class OutageReplay:
    """Listens to the hub's broker status; when delivery is back, replays the gap (2 s of margin) to local rooms."""

    def __init__(self, db: Database, hub: Hub, tasks: Tasks) -> None:
        self.db, self.hub, self._tasks = db, hub, tasks
        self._outage_since: datetime | None = None
        hub.on_broker_status(self._broker_status)

    def _broker_status(self, healthy: bool) -> None:
        if not healthy:
            self._outage_since = self._outage_since or utcnow()
        elif self._outage_since is not None:
            since, self._outage_since = self._outage_since, None
            self._tasks.spawn(self.replay_since(since - timedelta(seconds=2)))

    async def replay_since(self, since: datetime) -> None:
        """Only messages this process has not fanned out yet are sent, so nobody gets one twice."""
        for room_id, members in list(self.hub.rooms.items()):
            messages, names = await self.db.run(messages_since_with_senders, room_id, since)
            for message in messages:
                if message.id is None or not self.hub.first_sight(room_id, message.id):
                    continue  # delivered here already
                sender = names.get(message.participant_id) if message.participant_id is not None else None
                text = dumps(message_frame(message, sender))
                for conn in list(members):
                    conn.send(text)
