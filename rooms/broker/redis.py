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
from rooms.broker._redis_subscriber import RedisSubscriber, Reply, ReplyError, connect
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
    its own (``RedisPublisher``: a bounded queue sent as pipelines). The subscribed connection is parsed by
    ``RedisSubscriber`` rather than redis-py's PubSub (a third of the event loop's time under load). Pings use a
    small blocking pool of their own, so no burst of publishes or health checks can exhaust a pool.

    A process hears its own publishes back from Redis like every other process: delivering them locally at once
    instead let a socket newly seated in a room see the room's second message before its first (its own before the
    partner's, still on its way from another process), and the feed starts such a socket at its first live frame.
    """

    in_process = False  # other processes subscribe too: every frame goes through Redis, this process's included

    def __init__(self, url: str, retry_delay: float = 0.5, max_pending: int = 4096) -> None:
        self._url = url
        self._prefix = channel_prefix(url)
        self._prefix_len = len(self._prefix.encode())
        self._retry_delay = retry_delay
        self._max_pending = max_pending
        self._client: aioredis.Redis | None = None
        self._publisher: RedisPublisher | None = None
        self._subscriber: RedisSubscriber | None = None
        self._channels: set[str] = set()
        self._on_message: OnMessage | None = None
        self._on_status: OnStatus | None = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmations: dict[tuple[bytes, bytes], list[asyncio.Future[None]]] = {}
        self._connected = asyncio.Event()
        self.healthy = False

    @property
    def channels(self) -> frozenset[str]:
        """The channels this process is subscribed to (or will be again once Redis is back)."""
        return frozenset(self._channels)

    def delivers(self, channel: str) -> bool:
        """Whether this process is subscribed to ``channel`` (a publish then reaches it once Redis carries it)."""
        return channel in self._channels

    async def start(self, on_message: OnMessage, on_status: OnStatus | None = None) -> None:
        self._on_message = on_message
        self._on_status = on_status
        # Pings wait for a free connection of this small pool, never fail, when busy.
        self._client = _client(self._url, max_connections=2, retries=0)
        try:
            await self._client.ping()
        except RedisError as exc:
            await self._client.aclose()
            raise BrokerUnavailable(f"cannot reach Redis at {self._url}: {exc}") from None
        self._publisher = RedisPublisher(self._url, retries=PUBLISH_RETRIES, max_pending=self._max_pending)
        self._publisher.start()
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        await asyncio.wait_for(self._connected.wait(), timeout=5)

    async def stop(self) -> None:
        if self._publisher is not None:
            await self._publisher.stop()
            self._publisher = None
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._subscriber is not None:
            self._subscriber.close()
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
        subscriber = self._subscriber
        if subscriber is None or not self.healthy:
            return  # the reader restores the subscriptions when the connection is back
        await self._confirmed(subscriber, kind, [self._prefix + channel])

    async def _confirmed(self, subscriber: RedisSubscriber, kind: str, names: list[str]) -> bool:
        """Send ``SUBSCRIBE``/``UNSUBSCRIBE`` for ``names``; True once Redis confirmed each, False if it did not
        in time or the connection went."""
        loop = asyncio.get_running_loop()
        waiting: list[tuple[tuple[bytes, bytes], asyncio.Future[None]]] = []
        for name in names:
            key = (kind.encode(), name.encode())
            future: asyncio.Future[None] = loop.create_future()
            self._confirmations.setdefault(key, []).append(future)
            waiting.append((key, future))
        every: asyncio.Future[list[None]] = asyncio.gather(*(future for _, future in waiting))
        ends: list[asyncio.Future[Any]] = [every, subscriber.lost]
        try:
            subscriber.send(kind.upper(), *names)
            done, _ = await asyncio.wait(ends, timeout=CONFIRM_TIMEOUT, return_when="FIRST_COMPLETED")
            return every in done
        except ConnectionError:
            return False
        finally:
            every.cancel()
            for key, future in waiting:
                futures = self._confirmations.get(key, [])
                futures.remove(future)
                if not futures:
                    self._confirmations.pop(key, None)

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

    def _on_reply(self, reply: Reply) -> None:
        """Every reply of the subscribed connection, in order: a message, or a (un)subscribe confirmation."""
        if not isinstance(reply, list) or len(reply) < 3:
            if isinstance(reply, ReplyError):  # AUTH refused, say: drop the connection, the reader tries again
                log.warning("redis broker: %s", reply)
                if self._subscriber is not None:
                    self._subscriber.close()
            return
        kind, name, data = reply[0], reply[1], reply[2]
        if kind == b"message" and isinstance(data, bytes) and isinstance(name, bytes):
            if self._on_message is not None:
                try:
                    self._on_message(name[self._prefix_len :].decode(), data.decode())
                except Exception:
                    log.exception("redis broker: delivering a message failed")
            return
        if not isinstance(kind, bytes) or not isinstance(name, bytes):
            return
        for confirmed in self._confirmations.get((kind, name), ()):
            if not confirmed.done():
                confirmed.set_result(None)

    async def _read_forever(self) -> None:
        while True:
            subscriber: RedisSubscriber | None = None
            try:
                subscriber = await connect(self._url, self._on_reply)
                self._subscriber = subscriber
                # A placeholder channel keeps the connection in subscribe mode even with no rooms yet.
                sent = set(self._channels)
                names = [self._prefix + "_", *(self._prefix + c for c in sent)]
                # Healthy only once Redis confirms: from then on a publish from any process reaches this one.
                while await self._confirmed(subscriber, "subscribe", names):
                    late = self._channels - sent  # asked for while we were reconnecting
                    if not late:
                        break
                    sent |= late
                    names = [self._prefix + c for c in late]
                else:
                    raise ConnectionError("redis did not confirm the subscriptions")
                stale = sent - self._channels  # given up while we were reconnecting
                if stale:
                    subscriber.send("UNSUBSCRIBE", *(self._prefix + c for c in stale))
                self._set_health(True)
                self._connected.set()
                await subscriber.lost
                log.warning("redis broker connection lost; retrying")
            except asyncio.CancelledError:
                if subscriber is not None:
                    subscriber.close()
                raise
            except (OSError, TimeoutError) as exc:  # ConnectionError is an OSError
                log.warning("redis broker connection failed: %s; retrying", exc)
            except Exception:
                log.exception("redis broker reader failed; retrying")
            self._subscriber = None
            self._set_health(False)
            if subscriber is not None:
                subscriber.close()
            await asyncio.sleep(self._retry_delay)
