"""The benchmark suite: ``python -m bench.run --quick`` (about 3 minutes) or ``python -m bench.run`` (full).

Starts the servers itself (uvicorn pinned to core 0, the load generator pinned to core 1 when taskset exists),
runs the baseline and Bridgeway scenarios, prints a table with Bridgeway's figures as ratios to the baseline and
writes ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import servers
from bench.procstat import load_average
from bench.report import print_report, targets

RESULTS = servers.ROOT / "bench" / "results"
Scenario = Callable[[argparse.Namespace, Path], dict[str, Any]]


def loadgen(ports: list[int], pids: list[int], args: list[str], core: int | None = 1) -> dict[str, Any]:
    """Run the load generator in its own (pinned) process and return its JSON report."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    command = [sys.executable, "-m", "bench.loadgen", "--ports", ",".join(map(str, ports))]
    command += ["--server-pids", ",".join(map(str, pids)), "--out", str(path), *args]
    try:
        subprocess.run(servers.pinned(core) + command, cwd=servers.ROOT, check=True, timeout=900)
        report: dict[str, Any] = json.loads(path.read_text())
    finally:
        path.unlink(missing_ok=True)
    return report


def knee_args(opts: argparse.Namespace, start: float) -> list[str]:
    """A light step first (server CPU per message when it is far from busy), then the knee search."""
    steps = ["--duration", str(opts.step_seconds), "--growth", str(opts.growth), "--bisect", str(opts.bisect)]
    return ["--light", str(LIGHT_RATE), "--knee", str(start), *steps]


LIGHT_RATE = 300.0  # messages/s: a few classes chatting


def baseline(opts: argparse.Namespace, work: Path, deflate: bool = False, students: int = 1000) -> dict[str, Any]:
    port = servers.free_port()
    command = servers.uvicorn_command("bench.baseline:app", port, factory=False, deflate=deflate)
    env = {**os.environ, "PYTHONPATH": str(servers.ROOT)}
    server = servers.start(command, env, port, 0, work / f"baseline-{port}.log")
    try:
        extra = ["--deflate"] if deflate else []
        args = ["--students", str(students), "--no-acks", *knee_args(opts, opts.baseline_start), *extra]
        return loadgen([port], [server.pid], args)
    finally:
        servers.stop(server)


def bridgeway(
    work: Path, loadgen_args: list[str], *, processes: int = 1, deflate: bool = False, **env: str
) -> dict[str, Any]:
    """Fresh data (SQLite under ``work`` unless a database URL is given), seeded, served, driven, stopped."""
    data_dir = Path(tempfile.mkdtemp(dir=work, prefix="bw-"))
    deployment = servers.Deployment(servers.bridgeway_env(data_dir, **env))
    servers.prepare_bridgeway(deployment.env, unique_session_id=processes > 1 or "BRIDGEWAY_BROKER_URL" in env)
    cores: list[int | None] = [0] if processes == 1 else [0, 1]
    try:
        for core in cores:
            port = servers.free_port()
            command = servers.uvicorn_command("app.main:create_app", port, factory=True, deflate=deflate)
            deployment.servers.append(servers.start(command, deployment.env, port, core, data_dir / f"{port}.log"))
        extra = ["--deflate"] if deflate else []
        # With a server on each core the generator cannot have a core of its own: leave it unpinned then.
        return loadgen(deployment.ports, deployment.pids, [*loadgen_args, *extra], core=1 if processes == 1 else None)
    finally:
        for server in deployment.servers:
            servers.stop(server)


def pairing_bench() -> dict[str, Any]:
    """bench/pairing.py: the pairing engine alone on 10,000 waiting students."""
    output = subprocess.run(
        [sys.executable, "bench/pairing.py"], cwd=servers.ROOT, capture_output=True, text=True, timeout=300
    ).stdout
    found = re.findall(r"10000 waiting:\s+([\d.]+) ms", output)
    return {"pairing_10k_ms": [float(x) for x in found], "output": output}


def scenarios(opts: argparse.Namespace) -> list[tuple[str, Callable[[Path], dict[str, Any]]]]:
    quick = opts.quick
    students_target = ["--students", "2000", "--rates", "3000", "--duration", str(opts.step_seconds + 2)]
    listed: list[tuple[str, Callable[[Path], dict[str, Any]]]] = [
        ("baseline", lambda w: baseline(opts, w)),
        ("sqlite_1000", lambda w: bridgeway(w, ["--students", "1000", *knee_args(opts, opts.bridgeway_start)])),
        ("sqlite_2000_at_3000", lambda w: bridgeway(w, students_target)),
    ]
    if quick:  # the longer scenarios run in quick mode only when named with --only (short steps then)
        named = {x for x in opts.only.split(",") if x}
        return listed + [(name, run) for name, run in _full_scenarios(opts) if name in named]
    return listed + _full_scenarios(opts)


def _full_scenarios(opts: argparse.Namespace) -> list[tuple[str, Callable[[Path], dict[str, Any]]]]:
    listed: list[tuple[str, Callable[[Path], dict[str, Any]]]] = []
    deflate_1000 = ["--students", "1000", *knee_args(opts, opts.bridgeway_start)]
    listed += [
        ("baseline_2000", lambda w: baseline(opts, w, students=2000)),
        ("sqlite_2000", lambda w: bridgeway(w, ["--students", "2000", *knee_args(opts, opts.bridgeway_start)])),
        ("baseline_deflate", lambda w: baseline(opts, w, deflate=True)),
        ("sqlite_1000_deflate", lambda w: bridgeway(w, deflate_1000, deflate=True)),
        ("sqlite_5000", lambda w: bridgeway(w, ["--students", "5000", "--rates", "1000,2000", "--duration", "5"])),
        (
            "sqlite_1000_no_moderation",
            lambda w: bridgeway(
                w, ["--students", "1000", *knee_args(opts, opts.bridgeway_start)], BRIDGEWAY_MODERATION_HOOKS="[]"
            ),
        ),
        ("sqlite_1000_translation", lambda w: translation(opts, w)),
    ]
    pg, redis = servers.services_available()
    if pg and redis:
        listed += [
            ("postgres_redis_1proc", lambda w: postgres_redis(opts, w, 1)),
            ("postgres_redis_2proc", lambda w: postgres_redis(opts, w, 2)),
        ]
    return listed


def translation(opts: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Argos on, with the tiny demo packs (en<->es): every message is detected and translated for the partner."""
    from translation.tinymodel import install_demo_packages

    packages = work / "argos-packages"
    install_demo_packages(packages)
    args = ["--students", "1000", *knee_args(opts, opts.bridgeway_start / 2)]
    return bridgeway(
        work, args, BRIDGEWAY_TRANSLATION_BACKEND="argos", BRIDGEWAY_TRANSLATION_PACKAGES_DIR=str(packages)
    )


def postgres_redis(opts: argparse.Namespace, work: Path, processes: int) -> dict[str, Any]:
    with servers.postgres_schema() as url:
        args = ["--students", "1000", *knee_args(opts, opts.bridgeway_start)]
        return bridgeway(
            work, args, processes=processes, BRIDGEWAY_DATABASE_URL=url, BRIDGEWAY_BROKER_URL=servers.REDIS_BENCH_URL
        )


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next(
            (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), ""
        )
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m": load_average(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="baseline + SQLite scenarios only, short steps")
    parser.add_argument("--only", default="", help="comma-separated scenario names to run")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    opts = parser.parse_args(argv)
    opts.step_seconds = 3.0 if opts.quick else 6.0
    opts.growth = 1.4 if opts.quick else 1.25
    opts.bisect = 1 if opts.quick else 2
    opts.baseline_start = 3000.0
    opts.bridgeway_start = 1000.0
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    wanted = {x for x in opts.only.split(",") if x}
    results: dict[str, Any] = {"machine": machine(), "mode": "quick" if opts.quick else "full", "scenarios": {}}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bridgeway-bench-") as tmp:
        for name, scenario in scenarios(opts):
            if wanted and name not in wanted:
                continue
            print(f"== {name} (load {load_average():.2f})", file=sys.stderr, flush=True)
            try:
                results["scenarios"][name] = scenario(Path(tmp))
            except Exception as exc:  # keep going: one failed scenario should not hide the others
                print(f"   {name} failed: {exc}", file=sys.stderr, flush=True)
                results["scenarios"][name] = {"error": str(exc)}
    if not wanted or "pairing" in wanted:
        results["pairing"] = pairing_bench()
    results["seconds"] = round(time.monotonic() - started, 1)
    results["targets"] = targets(results)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(results, indent=2))
    print_report(results)
    print(f"\nwrote {opts.out} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
