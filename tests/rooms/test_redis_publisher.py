"""The Redis publisher's own paths: a publish sent at once by its caller, and a connection that stops answering."""

from __future__ import annotations

import asyncio
import time

import pytest

from rooms.broker import BrokerUnavailable
from rooms.broker import _redis_publisher as publisher_module
from rooms.broker._redis_publisher import RedisPublisher
from rooms.broker.redis import RedisBroker, channel_prefix


@pytest.mark.redis
async def test_redis_publisher_publishes_a_call_cancelled_while_it_connects_and_keeps_call_order(
    redis_url: str,
) -> None:
    heard: list[str] = []
    all_heard = asyncio.Event()

    def on_message(channel: str, payload: str) -> None:
        heard.append(payload)
        if len(heard) == 51:
            all_heard.set()

    listener = RedisBroker(redis_url)
    await listener.start(on_message)
    publisher = RedisPublisher(redis_url)
    publisher.start()
    try:
        await listener.subscribe("cancelled")
        channel = channel_prefix(redis_url) + "cancelled"
        first = asyncio.create_task(publisher.publish(channel, "first"))
        await asyncio.sleep(0)  # the first publish is sent by its caller, now opening the connection
        first.cancel()
        await asyncio.gather(*(publisher.publish(channel, f"then {i}") for i in range(50)))
        async with asyncio.timeout(5):
            await all_heard.wait()
        assert heard == ["first", *(f"then {i}" for i in range(50))]
    finally:
        await publisher.stop()
        await listener.stop()


async def _answer_ping_then_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A Redis gone silent after the connection's first PING: it takes every PUBLISH and answers none."""
    try:
        if b"PING" in await reader.read(1024):
            writer.write(b"+PONG\r\n")
        while await reader.read(1024):
            pass
    except ConnectionError:
        pass  # the publisher gave the connection up
    finally:
        writer.close()


async def test_redis_publisher_gives_up_a_connection_that_stops_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    """A link gone silent (no reset, no replies) fails the publish after the retries instead of hanging."""
    monkeypatch.setattr(publisher_module, "REPLY_TIMEOUT", 0.2)
    server = await asyncio.start_server(_answer_ping_then_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    publisher = RedisPublisher(f"redis://127.0.0.1:{port}/0", retries=1)
    publisher.start()
    try:
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable, match="in time"):
            async with asyncio.timeout(5):  # a hang fails the test rather than the suite
                await publisher.publish("c", "x")
        assert time.monotonic() - started < 2.0  # two attempts of at most 0.2 s + a fifth, and one 50 ms backoff
    finally:
        await publisher.stop()
        server.close()
        await server.wait_closed()


async def test_redis_publisher_stop_fails_a_publish_queued_behind_a_direct_one_that_hangs() -> None:
    """stop() gives up on a direct publish Redis never answers; the call queued behind it fails instead of waiting
    for ever."""
    server = await asyncio.start_server(_answer_ping_then_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    publisher = RedisPublisher(f"redis://127.0.0.1:{port}/0", retries=0)
    publisher.start()
    try:
        direct = asyncio.create_task(publisher.publish("c", "sent directly"))
        await asyncio.sleep(0.2)  # connected, written, unanswered
        queued = asyncio.create_task(publisher.publish("c", "queued behind it"))
        await asyncio.sleep(0.05)  # the writer task holds it, waiting for the direct send
        await publisher.stop(flush_timeout=0.1)
        async with asyncio.timeout(5):
            outcomes = await asyncio.gather(direct, queued, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [BrokerUnavailable, BrokerUnavailable]
    finally:
        server.close()
        await server.wait_closed()
