"""Benchmark: publishing to Redis with every call in flight at once, one pipelined connection vs a blocking pool.

``python -m bench.broker_publish [--url redis://127.0.0.1:6379/13] [--count 20000]``: wall time, process CPU per
publish and failed calls for RedisBroker's publisher, for redis-py blocking pools of 8 and 32 connections, and for
redis-py's default pool (the code before the publisher: it raised "Too many connections" past 100 in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from rooms.broker._redis_publisher import RedisPublisher
from rooms.broker.redis import PUBLISH_RETRIES, _client

PAYLOAD = "r1\n" + '{"type":"message","id":123456,"text":"' + "x" * 280 + '"}'  # about one chat message


async def measure(name: str, count: int, publish: Callable[[str, str], Awaitable[object]]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    calls = (publish(f"bench:publish:{i % 50}", PAYLOAD) for i in range(count))
    results = await asyncio.gather(*calls, return_exceptions=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    failed = sum(isinstance(r, Exception) for r in results)
    print(f"{name:30s} wall {wall:6.2f} s  {cpu / count * 1e6:5.0f} µs CPU/publish  failed {failed}")


async def main(url: str, count: int) -> None:
    publisher = RedisPublisher(url, retries=PUBLISH_RETRIES)
    publisher.start()
    await measure("pipelined, one connection", count, publisher.publish)
    await publisher.stop()
    for size in (8, 32):
        client = _client(url, max_connections=size, retries=PUBLISH_RETRIES)
        await measure(f"blocking pool of {size}", count, client.publish)
        await client.aclose()
    client = aioredis.Redis.from_url(url)
    await measure("redis-py default pool (100)", count, client.publish)
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--count", type=int, default=20_000)
    options = parser.parse_args()
    asyncio.run(main(options.url, options.count))
