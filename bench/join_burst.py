"""A join burst by phase: ``taskset -c 1 python -m bench.join_burst [--students 2000]`` (issue 19, "join bursts").

One fresh SQLite server (as ``bench.run`` starts it, on core 0); the load generator, in this process, joins every
student (HTTP), opens every socket with ``hello``, then waits until all are paired. Prints each phase's wall time
and the server's CPU seconds: on a shared machine the CPU seconds move much less than the wall times, so compare
those.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.loadgen import LoadGen
from bench.procstat import cpu_seconds, load_average


async def burst(port: int, pid: int, students: int, pair_timeout: float) -> dict[str, Any]:
    gen = LoadGen(ports=[port], students_n=students, codes=["RIVER9", "CERVA3"], server_pids=[pid])
    report: dict[str, Any] = {"students": students, "load_before": round(load_average(), 2)}
    cpu = cpu_seconds([pid])
    report["join_s"] = round(await gen.join(), 2)
    report["join_cpu_s"] = round(cpu_seconds([pid]) - cpu, 2)
    cpu, started = cpu_seconds([pid]), time.monotonic()
    report["hello_s"] = round(await gen.open_all(), 2)
    report["hello_cpu_s"] = round(cpu_seconds([pid]) - cpu, 2)
    cpu, opened = cpu_seconds([pid]), time.monotonic()
    report["paired"] = await gen.wait_paired(pair_timeout)
    report["pair_wait_s"] = round(time.monotonic() - opened, 2)
    report["pair_wait_cpu_s"] = round(cpu_seconds([pid]) - cpu, 2)
    report["join_to_paired_s"] = round(report["join_s"] + time.monotonic() - started, 2)
    report["load_after"] = round(load_average(), 2)
    gen.close_all()
    await asyncio.sleep(0.2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.join_burst")
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--pair-timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bridgeway-join-") as tmp, servers.sqlite_bridgeway(Path(tmp)) as server:
        report = asyncio.run(burst(server.port, server.pid, args.students, args.pair_timeout))
    print(json.dumps(report))
    return 0 if report["paired"] == args.students else 1


if __name__ == "__main__":
    sys.exit(main())
