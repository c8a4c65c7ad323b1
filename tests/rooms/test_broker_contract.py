"""The Broker contract (rooms/broker/base.py), run against every backend: memory:// and a real Redis.

With Redis each "process" is its own RedisBroker (own connections), exactly as two server processes would be;
memory:// serves one process by design, so there the fan-out tests have one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rooms.broker import Broker, BrokerUnavailable, create_broker
from rooms.broker.redis import RedisBroker
from tests.support.redis_server import RedisProcess

BACKENDS = [pytest.param("memory", id="memory"), pytest.param("redis", id="redis", marks=pytest.mark.redis)]


@dataclass
class Inbox:
    """What one process heard: payloads by channel, and broker status changes."""

    got: list[tuple[str, str]] = field(default_factory=list)
    statuses: list[bool] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_message(self, channel: str, payload: str) -> None:
        self.got.append((channel, payload))
        self.changed.set()

    def on_status(self, healthy: bool) -> None:
        self.statuses.append(healthy)
        self.changed.set()

    def payloads(self, channel: str) -> list[str]:
        return [p for c, p in self.got if c == channel]

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds (10 s at most), woken by each delivery or a 20 ms tick."""
        async with asyncio.timeout(10):
            while not condition():
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.02)

    async def until_heard(self, count: int) -> None:
        await self.until(lambda: len(self.got) >= count)

    async def until_payload(self, channel: str, payload: str) -> None:
        await self.until(lambda: payload in self.payloads(channel))


@dataclass
class Process:
    broker: Broker
    inbox: Inbox


@pytest.fixture
async def processes(request: pytest.FixtureRequest) -> AsyncIterator[list[Process]]:
    """Started brokers standing for server processes: one for memory://, two for Redis."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    started: list[Process] = []
    try:
        for _ in range(1 if request.param == "memory" else 2):
            process = Process(create_broker(url), Inbox())
            await process.broker.start(process.inbox.on_message, process.inbox.on_status)
            started.append(process)
        yield started
    finally:
        for process in reversed(started):
            await process.broker.stop()


async def _subscribe_all(processes: list[Process], *channels: str) -> None:
    for process in processes:
        for channel in channels:
            await process.broker.subscribe(channel)


@pytest.mark.parametrize("processes", BACKENDS, indirect=True)
async def test_broker_delivers_only_subscribed_channels_until_unsubscribed(processes: list[Process]) -> None:
    first = processes[0]
    await _subscribe_all(processes, "a", "b")
    await first.broker.publish("a", "one")
    await first.broker.publish("elsewhere", "never heard")
    await first.broker.publish("b", "two")
    for process in processes:
        await process.inbox.until_payload("b", "two")
    for process in processes:
        await process.broker.unsubscribe("a")
    await first.broker.publish("a", "after unsubscribe")
    await first.broker.publish("b", "sentinel")  # one publisher, in order: once it is here, "a" would have been
    for process in processes:
        await process.inbox.until_payload("b", "sentinel")
        assert process.inbox.got == [("a", "one"), ("b", "two"), ("b", "sentinel")]


@pytest.mark.parametrize("processes", BACKENDS, indirect=True)
async def test_broker_keeps_one_publishers_order_per_channel(processes: list[Process]) -> None:
    await _subscribe_all(processes, "room")
    sent = [f"m{i}" for i in range(500)]
    # Started together, queued in call order: concurrency must not reorder one publisher's messages.
    await asyncio.gather(*(processes[0].broker.publish("room", text) for text in sent))
    for process in processes:
        await process.inbox.until_heard(len(sent))
        assert process.inbox.payloads("room") == sent


@pytest.mark.parametrize("processes", BACKENDS, indirect=True)
async def test_broker_delivers_thousands_of_concurrent_publishes_exactly_once_everywhere(
    processes: list[Process], caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: redis-py's pool raised "Too many connections" past 100 publishes in flight."""
    channels = [f"s{i}" for i in range(10)]
    await _subscribe_all(processes, *channels)
    sent = [(channels[i % len(channels)], f"p{i}") for i in range(2_000)]
    with caplog.at_level(logging.WARNING):
        await asyncio.gather(*(processes[i % len(processes)].broker.publish(c, p) for i, (c, p) in enumerate(sent)))
    for process in processes:
        await process.inbox.until_heard(len(sent))
        assert Counter(process.inbox.got) == Counter(sent)  # every payload, each exactly once
    assert "Too many connections" not in caplog.text


@pytest.mark.redis
async def test_redis_broker_publish_waits_when_its_queue_is_full(redis_url: str) -> None:
    inbox = Inbox()
    broker = RedisBroker(redis_url, max_pending=8)
    await broker.start(inbox.on_message)
    try:
        await broker.subscribe("room")
        sent = [f"m{i}" for i in range(1_000)]
        await asyncio.gather(*(broker.publish("room", text) for text in sent))  # 125x the queue: back-pressure
        await inbox.until_heard(len(sent))
        assert inbox.payloads("room") == sent
    finally:
        await broker.stop()


@pytest.mark.redis
async def test_redis_broker_restart_mid_stream_reports_health_and_restores_subscriptions(tmp_path: Path) -> None:
    """Kill our own Redis while one process streams to another. Publishes during the outage raise
    BrokerUnavailable (the hub then tells its clients to resume); health goes false then true on both sides; once
    the listener says it is back, its subscription is live again and every publish reaches it, in order."""
    server = RedisProcess(tmp_path)
    server.start()
    sender, receiver = Process(RedisBroker(server.url, retry_delay=0.1), Inbox()), Inbox()
    listener = RedisBroker(server.url, retry_delay=0.1)
    started = 0  # publishes the stream has begun
    returned: list[int] = []
    refused: list[int] = []
    marks: dict[str, int] = {}

    def on_status(healthy: bool) -> None:
        receiver.on_status(healthy)
        marks["back" if healthy else "lost"] = started

    async def stream() -> None:
        nonlocal started
        while not stop.is_set():
            started += 1
            try:
                await sender.broker.publish("room", str(started))
                returned.append(started)
            except BrokerUnavailable:
                refused.append(started)
            await asyncio.sleep(0.005)

    stop = asyncio.Event()
    await sender.broker.start(sender.inbox.on_message, sender.inbox.on_status)
    await listener.start(receiver.on_message, on_status)
    try:
        await listener.subscribe("room")
        streaming = asyncio.create_task(stream())
        await receiver.until(lambda: len(receiver.got) >= 20)
        assert await sender.broker.ping()  # leaves a pooled connection that the restart makes stale
        before = len(returned)
        server.kill()
        await receiver.until(lambda: receiver.statuses[-1:] == [False])
        await sender.inbox.until(lambda: sender.inbox.statuses[-1:] == [False])
        assert not await listener.ping()
        began = time.monotonic()
        with pytest.raises(BrokerUnavailable):
            await sender.broker.publish("room", "during the outage")
        assert time.monotonic() - began < 5  # told, not left hanging
        await receiver.until(lambda: len(refused) >= 1)
        server.start()
        await receiver.until(lambda: receiver.statuses[-1:] == [True])
        await sender.inbox.until(lambda: sender.inbox.statuses[-1:] == [True])
        assert await sender.broker.ping()  # /healthz: the stale connection is not reported as an outage
        await receiver.until(lambda: len(returned) >= before + 40)
        stop.set()
        await streaming
        wanted = [str(n) for n in returned if n <= before or n > marks["back"]]
        await receiver.until(lambda: set(wanted) <= set(receiver.payloads("room")))
        heard = list(dict.fromkeys(receiver.payloads("room")))  # a re-sent pipeline may repeat one: the hub dedups
        assert [m for m in heard if m in set(wanted)] == wanted  # in order, none missing
        assert receiver.statuses == [True, False, True]
        assert sender.inbox.statuses == [True, False, True]
        assert "during the outage" not in heard
    finally:
        stop.set()
        await sender.broker.stop()
        await listener.stop()
        server.kill()


@pytest.mark.redis
def test_redis_broker_keeps_publishing_after_connection_resets_under_uvloop(redis_url: str) -> None:
    """Regression (issue 14): under uvloop, as the server runs, a publish on a reset connection raised RuntimeError
    ("the handler is closed"), which killed the publishing task: every later publish of that process failed and
    its rooms went silent on every other process. Publishes race repeated connection resets; once the link is
    back, each publish reaches the other process."""
    import uvloop

    from tests.support.tcpproxy import TcpProxy

    async def scenario(proxy: TcpProxy) -> None:
        sender = RedisBroker(f"redis://127.0.0.1:{proxy.port}{redis_url[redis_url.rfind('/') :]}", retry_delay=0.05)
        inbox, listener = Inbox(), RedisBroker(redis_url)
        await sender.start(lambda channel, payload: None)
        await listener.start(inbox.on_message)
        stop = asyncio.Event()

        async def pump() -> None:
            while not stop.is_set():
                with contextlib.suppress(BrokerUnavailable):
                    await sender.publish("noise", "x")
                await asyncio.sleep(0.002)

        pumps = [asyncio.create_task(pump()) for _ in range(5)]
        try:
            await listener.subscribe("after")
            for i in range(20):
                await asyncio.sleep(0.02 + 0.01 * (i % 7))
                proxy.cut()
                await asyncio.sleep(0.01 + 0.02 * (i % 5))  # long enough that retries reconnect while it is cut
                proxy.allow()
            stop.set()
            await asyncio.gather(*pumps)
            for i in range(5):
                async with asyncio.timeout(10):
                    while True:  # the first attempts may still meet a connection the proxy reset
                        try:
                            await sender.publish("after", str(i))
                            break
                        except BrokerUnavailable:
                            await asyncio.sleep(0.1)
            await inbox.until(lambda: inbox.payloads("after") == ["0", "1", "2", "3", "4"])
        finally:
            stop.set()
            await sender.stop()
            await listener.stop()

    parts = redis_url.split("//", 1)[1].split("/", 1)[0].split(":")
    with TcpProxy(parts[0], int(parts[1]) if len(parts) > 1 else 6379) as proxy:
        uvloop.run(scenario(proxy))
