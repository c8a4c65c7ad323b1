"""Settings of the live core, copied from the app's settings when the services are wired."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoomsConfig:
    max_message_chars: int = 2000
    message_rate: str = "20/10 seconds"
    reconnect_grace: float = 20.0
    repair_grace: float = 30.0
    heartbeat_interval: float = 5.0  # the server pings a student socket that was silent this long
    heartbeat_timeout: float = 15.0  # and closes it (4011) when nothing at all was heard for this long
    cross_country_wait: float = 10.0
    same_country_rooms: bool = True
