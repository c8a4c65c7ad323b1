"""Benchmark: a process's CPU to receive subscribed messages, redis-py's PubSub reader vs RedisBroker's own.

``python -m bench.broker_receive [--url redis://127.0.0.1:6379/13] [--count 20000]``: another connection publishes
``count`` chat-sized payloads; this process's CPU per message received and handed on, for redis-py's
``PubSub.get_message`` loop (RedisBroker's reader before) and for ``RedisBroker`` (its ``RedisSubscriber``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import redis.asyncio as aioredis

from rooms.broker.redis import RedisBroker, channel_prefix

PAYLOAD = "r1 m123456:7\n" + '{"type":"message","id":123456,"text":"' + "x" * 280 + '"}'  # about one chat message


async def _publish(url: str, channel: str, count: int, payload: str = PAYLOAD) -> None:
    client = aioredis.Redis.from_url(url)
    for start in range(0, count, 500):
        pipe = client.pipeline(transaction=False)
        for _ in range(min(500, count - start)):
            pipe.publish(channel, payload)
        await pipe.execute()
    await client.aclose()


async def _publisher(url: str, channel: str, count: int) -> asyncio.subprocess.Process:
    """Publish from another process, so that only receiving is counted in this one."""
    command = ["-m", "bench.broker_receive", "--url", url, "--count", str(count), "--publish", channel]
    return await asyncio.create_subprocess_exec(sys.executable, *command)


async def _until(done: asyncio.Event) -> None:
    async with asyncio.timeout(60):
        await done.wait()


async def redis_py_reader(url: str, count: int) -> float:
    """The loop RedisBroker ran before: ``get_message(timeout=1.0)``, decode, hand on."""
    channel = channel_prefix(url) + "bench-receive"
    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1.0)  # the confirmation
    got = 0
    publishing = await _publisher(url, channel, count)
    cpu = time.process_time()
    while got < count:
        message = await pubsub.get_message(timeout=1.0)
        if message is not None and message["type"] == "message":
            message["channel"].decode()
            message["data"].decode()
            got += 1
    cpu = time.process_time() - cpu
    await publishing.wait()
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await client.aclose()
    return cpu


async def broker_reader(url: str, count: int) -> float:
    """RedisBroker's reader: parse, drop own copies by origin, decode, hand on."""
    done, got = asyncio.Event(), 0

    def on_message(channel: str, payload: str) -> None:
        nonlocal got
        got += 1
        if got >= count:
            done.set()

    broker = RedisBroker(url)
    await broker.start(on_message)
    await broker.subscribe("bench-receive")
    publishing = await _publisher(url, channel_prefix(url) + "bench-receive", count)
    cpu = time.process_time()
    await _until(done)
    cpu = time.process_time() - cpu
    await publishing.wait()
    await broker.stop()
    return cpu


async def main(url: str, count: int, rounds: int) -> None:
    for _ in range(rounds):  # alternating, so that the machine's load hits both alike
        before = await redis_py_reader(url, count)
        after = await broker_reader(url, count)
        print(f"redis-py PubSub.get_message  {before / count * 1e6:5.1f} µs CPU/message")
        print(f"RedisBroker (RedisSubscriber) {after / count * 1e6:5.1f} µs CPU/message")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.broker_receive")
    parser.add_argument("--url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--publish", help=argparse.SUPPRESS)  # the publishing side, run in its own process
    args = parser.parse_args()
    if args.publish:
        asyncio.run(_publish(args.url, args.publish, args.count))
    else:
        asyncio.run(main(args.url, args.count, args.rounds))
