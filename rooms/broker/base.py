"""The ``Broker`` protocol: publish text payloads on channels, deliver them to subscribed processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

OnMessage = Callable[[str, str], None]
"""Called with (channel, payload) in the event loop for every message on a subscribed channel."""
OnStatus = Callable[[bool], None]
"""Called with False when the broker connection is lost and True when it is back."""


class BrokerUnavailable(Exception):
    """Publishing failed because the broker cannot be reached."""


class Broker(Protocol):
    in_process: bool
    """True when this process is the only subscriber there is (the in-process broker): the hub then routes a frame
    to its own sockets directly, with no payload to write and parse back, if `delivers` says it would arrive."""

    def delivers(self, channel: str) -> bool:
        """Whether a publish on ``channel`` reaches this process now (started and subscribed)."""

    async def start(self, on_message: OnMessage, on_status: OnStatus | None = None) -> None:
        """Connect and start delivering messages on subscribed channels to ``on_message``."""

    async def stop(self) -> None: ...

    async def publish(self, channel: str, payload: str) -> None:
        """Send ``payload`` to every process subscribed to ``channel`` (this one included).

        Payloads from one process arrive on each channel in the order they were published. When busy this waits
        (back-pressure) rather than failing; a connection error is retried, and BrokerUnavailable is raised only
        when the retries are spent. A retried publish may arrive twice: receivers de-duplicate.
        """

    async def subscribe(self, channel: str) -> None:
        """Returns once a publish made after it reaches this process (at once while the broker is down: the
        subscription is then made when the connection is back, before ``on_status(True)``)."""

    async def unsubscribe(self, channel: str) -> None: ...

    async def ping(self) -> bool:
        """True when the broker is reachable (used by /healthz)."""
