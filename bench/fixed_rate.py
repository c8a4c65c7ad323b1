"""Benchmark: server CPU per message at fixed rates on PostgreSQL + Redis, one and two processes (and SQLite).

``python -m bench.fixed_rate [--rates 1000,1000] [--processes sqlite,1,2]``: the knee search of ``bench.run`` is
unusable on a loaded machine; fixed-rate steps still give server CPU (summed over the processes) and PostgreSQL +
Redis CPU per delivered message. ``sqlite`` is one process on SQLite without a broker (what issue 19 compares two
processes with). Run it on two checkouts alternately for an A/B.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench import run, servers
from bench.procstat import load_average


def main(rates: str, processes: list[str], students: int, drain: float, env: dict[str, str] | None = None) -> None:
    extra = env or {}
    with tempfile.TemporaryDirectory(prefix="bridgeway-bench-") as tmp:
        for count in processes:
            load = load_average()
            loadgen = ["--students", str(students), "--rates", rates, "--duration", "5", "--drain", str(drain)]
            if count == "sqlite":
                _report(count, load, run.bridgeway(Path(tmp), loadgen, **extra))
                continue
            with servers.postgres_schema() as url:
                result = run.bridgeway(
                    Path(tmp),
                    loadgen,
                    processes=int(count),
                    BRIDGEWAY_DATABASE_URL=url,
                    BRIDGEWAY_BROKER_URL=servers.REDIS_BENCH_URL,
                    **extra,
                )
            _report(f"{count} process(es)", load, result)


def _report(name: str, load: float, result: dict[str, Any]) -> None:
    for step in result.get("steps", []):
        delivered = step["delivered_per_s"] or 1
        settled = step["server_cpu_settled"] / max(1, step["delivered"]) * 1e6
        print(
            f"{name}, load {load:.1f}: {step['target_rate']:.0f}/s -> {delivered:.0f}/s, server "
            f"{step['server_cpu'] / delivered * 1e6:.0f} µs/msg ({settled:.0f} until settled), PostgreSQL + Redis "
            f"{step.get('services_cpu', 0) / delivered * 1e6:.0f} µs/msg, p99 {step['p99_ms']} ms, "
            f"lost {step['lost']}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.fixed_rate")
    parser.add_argument("--rates", default="1000,1000")
    parser.add_argument("--processes", default="1,2", help="comma-separated: sqlite, 1 or 2")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late deliveries (late = lost)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a server setting, e.g. BRIDGEWAY_X=1"
    )
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.env)
    main(args.rates, args.processes.split(","), args.students, args.drain, settings)
