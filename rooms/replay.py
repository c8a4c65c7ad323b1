"""After a broker outage, each socket reads what it missed from the database: live fan-out could not carry it."""

from __future__ import annotations

from rooms.feed import RoomFeed
from rooms.hub import Hub


class OutageReplay:
    """Listens to the hub's broker status; when delivery is back, every local student socket in a room reads the
    messages after its position (the feed sends each once and in order, so nobody gets one twice)."""

    def __init__(self, hub: Hub, feed: RoomFeed) -> None:
        self.hub, self.feed = hub, feed
        self._outage = False
        hub.on_broker_status(self._broker_status)

    def _broker_status(self, healthy: bool) -> None:
        if not healthy:
            self._outage = True
        elif self._outage:
            self._outage = False
            for members in list(self.hub.rooms.values()):
                for conn in list(members):
                    self.feed.refresh(conn)
