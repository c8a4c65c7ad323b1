"""Pub/sub brokers that fan room events out to every server process, picked by URL scheme."""

from __future__ import annotations

from rooms.broker.base import Broker, BrokerUnavailable, OnMessage


def create_broker(url: str) -> Broker:
    """``memory://`` (one process, the default) or ``redis://host:port/db`` (several processes)."""
    scheme = url.split("://", 1)[0]
    if scheme == "memory":
        from rooms.broker.memory import MemoryBroker

        return MemoryBroker()
    if scheme in {"redis", "rediss"}:
        from rooms.broker.redis import RedisBroker

        return RedisBroker(url)
    raise ValueError(f"unsupported broker URL {url!r}: use memory:// or redis://")


__all__ = ["Broker", "BrokerUnavailable", "OnMessage", "create_broker"]
