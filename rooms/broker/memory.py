"""In-process broker: the embedded default for a single server process."""

from __future__ import annotations

from rooms.broker.base import OnMessage, OnStatus


class MemoryBroker:
    in_process = True

    def __init__(self) -> None:
        self._on_message: OnMessage | None = None
        self._channels: set[str] = set()

    async def start(self, on_message: OnMessage, on_status: OnStatus | None = None) -> None:
        self._on_message = on_message

    async def stop(self) -> None:
        self._on_message = None
        self._channels.clear()

    async def publish(self, channel: str, payload: str) -> None:
        if self.delivers(channel):
            assert self._on_message is not None
            self._on_message(channel, payload)

    def delivers(self, channel: str) -> bool:
        """Whether a publish on ``channel`` reaches this process now (started and subscribed)."""
        return self._on_message is not None and channel in self._channels

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def ping(self) -> bool:
        return self._on_message is not None
