"""Benchmark: server CPU per message in lock-step bursts, for A/B runs on a busy machine.

``python -m bench.bursts [--sizes 10,100 --messages 6000 --tree ../other-checkout]``: Bridgeway on SQLite, one
process pinned to core 0, 1,000 students. Each round ``B`` random students send one message each, then every ack
and every delivery of a visible message is awaited before the next round. Unlike a fixed rate, the batches the
server sees then depend little on how much of its core it got, so two checkouts measured alternately compare
better. ``--tree`` serves another checkout with this checkout's load generator. Run it pinned to core 1
(``taskset -c 1``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench import servers
from bench.loadgen import LoadGen, message_text
from bench.procstat import cpu_seconds, load_average


async def _bursts(port: int, pid: int, sizes: list[int], messages: int, students: int) -> list[str]:
    gen = LoadGen(ports=[port], students_n=students, codes=["RIVER9", "CERVA3"], server_pids=[pid])
    await gen.join()
    await gen.open_all()
    await gen.wait_paired(60)
    await asyncio.sleep(2)
    senders = [s for s in gen.students if s.paired.is_set() and s.partners > 0 and s.ws is not None]
    pick = random.Random(1)
    lines = []
    for size in sizes:
        gen.step += 1
        for collected in (gen.sent, gen.acked, gen.deliveries):
            collected.clear()
        rounds = max(10, messages // size)
        cpu, started, took = cpu_seconds([pid]), time.monotonic(), []
        for _ in range(rounds):
            began = time.monotonic()
            for student in pick.sample(senders, size):
                student.seq += 1
                cid = f"{gen.step}.{student.idx}.{student.seq}"
                gen.sent[cid] = student.partners
                assert student.ws is not None
                student.ws.send_json({"type": "send", "client_id": cid, "text": message_text(time.monotonic_ns(), cid)})
            await _settled(gen, 30.0)
            took.append((time.monotonic() - began) * 1000)
        cpu = cpu_seconds([pid]) - cpu
        sent = len(gen.sent)
        lines.append(
            f"bursts of {size} x {rounds}: {cpu / sent * 1e6:.0f} µs server CPU a message, "
            f"{time.monotonic() - started:.1f} s (a round: median {sorted(took)[len(took) // 2]:.1f} ms, max "
            f"{max(took):.0f} ms, {sum(t > 50 for t in took)} over 50 ms), acks {dict(sorted(_states(gen).items()))}"
        )
    gen.close_all()
    await asyncio.sleep(0.2)
    return lines


async def _settled(gen: LoadGen, limit: float) -> None:
    """Until every message of the round is acknowledged and every visible one delivered (or ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(gen.acked) >= len(gen.sent):
            wanted = sum(gen.sent[c] for c, state in gen.acked.items() if state in ("visible", "masked"))
            if sum(gen.deliveries.values()) >= wanted:
                return
        await asyncio.sleep(0.001)


def _states(gen: LoadGen) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in gen.acked.values():
        counts[state] = counts.get(state, 0) + 1
    return counts


def main(tree: Path, sizes: list[int], messages: int, students: int) -> None:
    servers.ROOT = tree.resolve()  # the server runs that checkout; the load generator is this one's
    import uvloop

    with tempfile.TemporaryDirectory(prefix="bridgeway-bursts-") as tmp, servers.sqlite_bridgeway(Path(tmp)) as server:
        load = load_average()
        lines = uvloop.run(_bursts(server.port, server.pid, sizes, messages, students))
    for line in lines:
        print(f"{servers.ROOT.name}, load {load:.1f}: {line}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.bursts")
    parser.add_argument("--sizes", default="10,100", help="students sending in each round, one figure per size")
    parser.add_argument("--messages", type=int, default=6000, help="messages per size (rounds = messages / size)")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--tree", type=Path, default=servers.ROOT, help="the checkout to serve (default: this one)")
    args = parser.parse_args()
    main(args.tree, [int(x) for x in args.sizes.split(",")], args.messages, args.students)
