"""Benchmark: server CPU per message at fixed rates on PostgreSQL + Redis, one and two processes (or SQLite).

``python -m bench.fixed_rate [--rates 1000,1000] [--processes 1,2]``: the knee search of ``bench.run`` is unusable on
a loaded machine; fixed-rate steps still give server CPU (summed over the processes) and PostgreSQL + Redis CPU per
delivered message. Run it on two checkouts alternately for an A/B.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import run, servers
from bench.procstat import load_average


def main(rates: str, processes: list[int], students: int, drain: float, sqlite: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="bridgeway-bench-") as tmp:
        for count in processes:
            load = load_average()
            steps = ["--students", str(students), "--rates", rates, "--duration", "5", "--drain", str(drain)]
            if sqlite:  # one process, the in-process broker
                result = run.bridgeway(Path(tmp), steps)
            else:
                with servers.postgres_schema() as url:
                    result = run.bridgeway(
                        Path(tmp),
                        steps,
                        processes=count,
                        BRIDGEWAY_DATABASE_URL=url,
                        BRIDGEWAY_BROKER_URL=servers.REDIS_BENCH_URL,
                    )
            for step in result.get("steps", []):
                delivered = step["delivered_per_s"] or 1
                settled = step["server_cpu_settled"] / max(1, step["delivered"]) * 1e6
                what = "SQLite" if sqlite else f"{count} process(es)"
                print(
                    f"{what}, load {load:.1f}: {step['target_rate']:.0f}/s -> "
                    f"{delivered:.0f}/s, server {step['server_cpu'] / delivered * 1e6:.0f} µs/msg "
                    f"({settled:.0f} until settled), PostgreSQL + Redis "
                    f"{step.get('services_cpu', 0) / delivered * 1e6:.0f} µs/msg, p99 {step['p99_ms']} ms, "
                    f"lost {step['lost']}",
                    flush=True,
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.fixed_rate")
    parser.add_argument("--rates", default="1000,1000")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late deliveries (late = lost)")
    parser.add_argument("--sqlite", action="store_true", help="one process on SQLite instead (--processes is ignored)")
    args = parser.parse_args()
    processes = [1] if args.sqlite else [int(x) for x in args.processes.split(",")]
    main(args.rates, processes, args.students, args.drain, args.sqlite)
