"""Profile Bridgeway under load: the server runs under cProfile while the load generator drives it.

``python -m bench.profile [--students 1000 --rate 1000 --seconds 10]`` prints the top functions by own time and
by cumulative time. cProfile sees the event-loop thread only (database commits run in worker threads) and slows
Python code down about 2x, so read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from bench import servers
from bench.run import loadgen


def serve(port: int, stats: Path) -> None:
    """Run Bridgeway in this process under cProfile until SIGINT, then write the stats."""
    import uvicorn

    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host=servers.HOST,
        port=port,
        ws="websockets-sansio",
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        backlog=8192,
    )
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        uvicorn.Server(config).run()
    finally:
        profiler.disable()
        profiler.dump_stats(stats)


def show(stats_path: Path, top: int) -> None:
    stats = pstats.Stats(str(stats_path))
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumtime").print_stats(r"(rooms|app|translation|limits|anyio)/", top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.profile")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="total messages/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", type=Path, help="also keep the raw cProfile stats here (for pstats/snakeviz)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.stats)
        return 0
    with tempfile.TemporaryDirectory(prefix="bridgeway-profile-") as tmp:
        work = Path(tmp)
        env = servers.bridgeway_env(work / "data")
        servers.prepare_bridgeway(env)
        port, stats = servers.free_port(), work / "server.prof"
        command = [sys.executable, "-m", "bench.profile", "--serve", str(port), "--stats", str(stats)]
        server = servers.start(command, env, port, 0, work / "server.log")
        try:
            report = loadgen(
                [port],
                [server.pid],
                ["--students", str(args.students), "--rates", str(args.rate), "--duration", str(args.seconds)],
            )
        finally:
            servers.stop(server)
        step = report["steps"][0]
        print(
            f"under cProfile: {step['delivered_per_s']}/s delivered, p99 {step['p99_ms']} ms, cpu {step['server_cpu']}"
        )
        show(stats, args.top)
        if args.save:
            args.save.write_bytes(stats.read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
