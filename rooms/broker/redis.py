"""Redis pub/sub broker (redis-py asyncio) so that several server processes share rooms."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.broker.base import BrokerUnavailable, OnMessage, OnStatus

log = logging.getLogger(__name__)
PREFIX = "bridgeway:"


def channel_prefix(url: str) -> str:
    """Channels carry the database number: Redis pub/sub ignores databases, so two deployments sharing a
    Redis server on different databases (or two test runs) would otherwise hear each other's rooms."""
    db = aioredis.connection.parse_url(url).get("db", 0)
    return f"{PREFIX}{db}:"


class RedisBroker:
    """One pub/sub connection per process; re-subscribes by itself after Redis restarts."""

    def __init__(self, url: str, retry_delay: float = 0.5) -> None:
        self._url = url
        self._prefix = channel_prefix(url)
        self._retry_delay = retry_delay
        self._client: aioredis.Redis | None = None
        self._pubsub: aioredis.client.PubSub | None = None
        self._channels: set[str] = set()
        self._on_message: OnMessage | None = None
        self._on_status: OnStatus | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.healthy = False

    async def start(self, on_message: OnMessage, on_status: OnStatus | None = None) -> None:
        self._on_message = on_message
        self._on_status = on_status
        self._client = aioredis.Redis.from_url(self._url, socket_connect_timeout=2, socket_timeout=5)
        try:
            await self._client.ping()
        except RedisError as exc:
            await self._client.aclose()
            raise BrokerUnavailable(f"cannot reach Redis at {self._url}: {exc}") from None
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        await asyncio.wait_for(self._connected.wait(), timeout=5)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(RedisError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        if self._client is not None:
            await self._client.aclose()

    async def publish(self, channel: str, payload: str) -> None:
        assert self._client is not None
        try:
            await self._client.publish(self._prefix + channel, payload)
        except (RedisConnectionError, RedisTimeoutError):
            # After a Redis restart the first pooled connection is stale: one retry opens a fresh one.
            try:
                await self._client.publish(self._prefix + channel, payload)
            except RedisError as exc:
                raise BrokerUnavailable(str(exc)) from None
        except RedisError as exc:
            raise BrokerUnavailable(str(exc)) from None

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        if self._pubsub is not None and self.healthy:
            with contextlib.suppress(RedisError):
                await self._pubsub.subscribe(self._prefix + channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        if self._pubsub is not None and self.healthy:
            with contextlib.suppress(RedisError):
                await self._pubsub.unsubscribe(self._prefix + channel)

    async def ping(self) -> bool:
        if self._client is None:
            return False
        try:
            return bool(await self._client.ping())
        except RedisError:
            return False

    def _set_health(self, healthy: bool) -> None:
        if healthy != self.healthy:
            self.healthy = healthy
            if self._on_status is not None:
                self._on_status(healthy)

    async def _read_forever(self) -> None:
        assert self._client is not None
        while True:
            try:
                self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
                # A placeholder channel keeps the connection in subscribe mode even with no rooms yet.
                await self._pubsub.subscribe(self._prefix + "_", *(self._prefix + c for c in self._channels))
                self._set_health(True)
                self._connected.set()
                while True:
                    message = await self._pubsub.get_message(timeout=1.0)
                    if message is None or self._on_message is None:
                        continue
                    channel = message["channel"].decode()[len(self._prefix) :]
                    data = message["data"]
                    self._on_message(channel, data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("redis broker connection lost: %s; retrying", exc)
            except Exception:
                log.exception("redis broker reader failed; retrying")
            self._set_health(False)
            with contextlib.suppress(Exception):
                if self._pubsub is not None:
                    await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self._retry_delay)
