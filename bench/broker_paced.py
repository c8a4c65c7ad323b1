"""Benchmark: a process's CPU to publish one message and hear it back at a light, paced rate (one per wake-up).

``taskset -c 1 python -m bench.broker_paced [--url redis://127.0.0.1:6379/13] [--rate 500] [--seconds 5]``: a
timer fires ``rate`` times a second and starts a task that publishes on a channel this process is subscribed to
(as a server process publishes a room's message and hears it back for its own sockets), through ``RedisBroker``.
At light load nothing is shared between publishes: each pays its own wake-ups and task hops, which is what two
server processes pay per message at 1,000-2,000 msgs/s. The harness alone (the timer and an empty task) is
measured in the same run, so the difference is the broker's. Run it on two checkouts alternately for an A/B.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import uvloop

from rooms.broker.redis import RedisBroker

PAYLOAD = "r1 m123456:7\n" + '{"type":"message","id":123456,"text":"' + "x" * 280 + '"}'  # about one chat message


async def paced(rate: float, seconds: float, call: Callable[[], Awaitable[None]]) -> float:
    """µs of process CPU per call, ``call`` started in a task of its own ``rate`` times a second."""
    loop = asyncio.get_running_loop()
    count, started, tasks = int(rate * seconds), loop.time(), set()
    finished = asyncio.Event()

    def tick(n: int) -> None:
        task = loop.create_task(call())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if n + 1 < count:
            loop.call_at(started + (n + 1) / rate, tick, n + 1)
        else:
            finished.set()

    cpu = time.process_time()
    loop.call_at(started, tick, 0)
    await finished.wait()
    while tasks:
        await asyncio.gather(*tasks)
    return (time.process_time() - cpu) / count * 1e6


async def main(url: str, rate: float, seconds: float, rounds: int) -> None:
    heard = 0

    def on_message(channel: str, payload: str) -> None:
        nonlocal heard
        heard += 1

    broker = RedisBroker(url)
    await broker.start(on_message)
    await broker.subscribe("bench-paced")
    try:
        for _ in range(rounds):
            harness = await paced(rate, seconds, lambda: asyncio.sleep(0))
            heard_before = heard
            both = await paced(rate, seconds, lambda: broker.publish("bench-paced", PAYLOAD))
            await asyncio.sleep(0.1)
            print(
                f"{rate:.0f}/s: publish + hear it back {both - harness:5.1f} µs CPU a message (harness {harness:.1f} "
                f"subtracted; heard {heard - heard_before}), load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    finally:
        await broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.broker_paced")
    parser.add_argument("--url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    uvloop.run(main(args.url, args.rate, args.seconds, args.rounds))
