"""Redis pub/sub broker (redis-py asyncio) so that several server processes share rooms."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.broker._redis_publisher import RedisPublisher
from rooms.broker.base import BrokerUnavailable, OnMessage, OnStatus

log = logging.getLogger(__name__)
PREFIX = "bridgeway:"


def channel_prefix(url: str) -> str:
    """Channels carry the database number: Redis pub/sub ignores databases, so two deployments sharing a
    Redis server on different databases (or two test runs) would otherwise hear each other's rooms."""
    db = aioredis.connection.parse_url(url).get("db", 0)
    return f"{PREFIX}{db}:"


CONFIRM_TIMEOUT = 2.0
"""How long subscribe/unsubscribe wait for Redis to confirm before giving up (the reader then re-subscribes)."""
PUBLISH_RETRIES = 3
"""A failed pipeline is re-sent this many times (after about 50, 100, 100 ms, reconnecting) before BrokerUnavailable."""


def _client(url: str, max_connections: int, retries: int) -> aioredis.Redis:
    # A blocking pool makes a caller wait for a free connection instead of raising "Too many connections".
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        socket_connect_timeout=2,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.025), retries),
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes its pool


class RedisBroker:
    """One subscribed and one publishing connection per process; re-subscribes by itself after Redis restarts.

    As in encode/broadcaster, the subscribed connection is read by a reader task and publishing has a connection of
    its own (``RedisPublisher``: a bounded queue sent as pipelines). Pings share a small blocking pool with the
    subscriber, so no burst of publishes or health checks can exhaust a pool.
    """

    def __init__(self, url: str, retry_delay: float = 0.5, max_pending: int = 4096) -> None:
        self._url = url
        self._prefix = channel_prefix(url)
        self._retry_delay = retry_delay
        self._max_pending = max_pending
        self._client: aioredis.Redis | None = None
        self._publisher: RedisPublisher | None = None
        self._pubsub: aioredis.client.PubSub | None = None
        self._channels: set[str] = set()
        self._on_message: OnMessage | None = None
        self._on_status: OnStatus | None = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmations: dict[tuple[str, str], list[asyncio.Future[None]]] = {}
        self._connected = asyncio.Event()
        self.healthy = False

    async def start(self, on_message: OnMessage, on_status: OnStatus | None = None) -> None:
        self._on_message = on_message
        self._on_status = on_status
        # The subscriber holds one connection; the others serve concurrent pings (waiting, never failing, when busy).
        # Its commands are not retried: the reader notices a lost connection at once and reconnects by itself.
        self._client = _client(self._url, max_connections=4, retries=0)
        try:
            await self._client.ping()
        except RedisError as exc:
            await self._client.aclose()
            raise BrokerUnavailable(f"cannot reach Redis at {self._url}: {exc}") from None
        self._publisher = RedisPublisher(
            _client(self._url, max_connections=1, retries=PUBLISH_RETRIES), max_pending=self._max_pending
        )
        self._publisher.start()
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        await asyncio.wait_for(self._connected.wait(), timeout=5)

    async def stop(self) -> None:
        if self._publisher is not None:
            await self._publisher.stop()
            await self._publisher.client.aclose()
            self._publisher = None
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
        """Waits while ``max_pending`` publishes are queued; BrokerUnavailable once the retries are spent."""
        if self._publisher is None:
            raise BrokerUnavailable("broker not started")
        await self._publisher.publish(self._prefix + channel, payload)

    async def subscribe(self, channel: str) -> None:
        """Returns once Redis confirms the subscription (so a publish made after it is heard here), or at once
        while Redis is down: the reader subscribes to every remembered channel when the connection is back."""
        self._channels.add(channel)
        await self._change("subscribe", channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        await self._change("unsubscribe", channel)

    async def _change(self, kind: str, channel: str) -> None:
        pubsub = self._pubsub
        if pubsub is None or not self.healthy:
            return
        name = self._prefix + channel
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._confirmations.setdefault((kind, name), [])
        waiting.append(confirmed)
        try:
            if kind == "subscribe":
                await pubsub.subscribe(name)
            else:
                await pubsub.unsubscribe(name)
            async with asyncio.timeout(CONFIRM_TIMEOUT):
                await confirmed
        except (RedisError, OSError, TimeoutError):
            pass  # the connection is going: the reader restores the subscriptions when it is back
        finally:
            waiting.remove(confirmed)
            if not waiting:
                self._confirmations.pop((kind, name), None)

    async def ping(self) -> bool:
        if self._client is None:
            return False
        for _ in range(2):  # after a Redis restart the pooled connection is stale: the second try opens a new one
            try:
                return bool(await self._client.ping())
            except (RedisConnectionError, RedisTimeoutError):
                continue
            except RedisError:
                return False
        return False

    def _set_health(self, healthy: bool) -> None:
        if healthy != self.healthy:
            self.healthy = healthy
            if self._on_status is not None:
                self._on_status(healthy)

    def _dispatch(self, message: dict[str, Any]) -> None:
        name = message["channel"].decode()
        kind = message["type"]
        if kind != "message":  # a (un)subscribe confirmation: wake whoever waits for it
            for confirmed in self._confirmations.get((kind, name), ()):
                if not confirmed.done():
                    confirmed.set_result(None)
            return
        if self._on_message is not None:
            data = message["data"]
            self._on_message(name[len(self._prefix) :], data.decode() if isinstance(data, bytes) else str(data))

    async def _read_forever(self) -> None:
        assert self._client is not None
        while True:
            try:
                self._pubsub = self._client.pubsub()
                # A placeholder channel keeps the connection in subscribe mode even with no rooms yet.
                sent = {self._prefix + c for c in self._channels}
                await self._pubsub.subscribe(self._prefix + "_", *sent)
                # Healthy only once Redis confirms: from then on a publish from any process reaches this one.
                while not self.healthy:
                    message = await self._pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    self._dispatch(message)
                    if message["type"] == "subscribe":
                        late = {self._prefix + c for c in self._channels} - sent
                        if late:  # asked for while we were reconnecting
                            await self._pubsub.subscribe(*late)
                        self._set_health(True)
                self._connected.set()
                while True:
                    message = await self._pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError, RuntimeError) as exc:
                # RuntimeError: uvloop's "the handler is closed" on a reset connection (asyncio raises OSError)
                log.warning("redis broker connection lost: %s; retrying", exc)
            except Exception:
                log.exception("redis broker reader failed; retrying")
            self._set_health(False)
            with contextlib.suppress(Exception):
                if self._pubsub is not None:
                    await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self._retry_delay)
