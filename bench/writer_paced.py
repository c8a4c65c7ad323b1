"""The message writer at a paced rate, with and without group commit: ``python -m bench.writer_paced``.

One ``BatchWriter`` on a fresh PostgreSQL schema (or ``--database-url``) gets ``--rate`` messages a second, each
written by its own task as a server's sockets do, over rooms seeded as in ``bench.writer_batches``. For each
``--gather`` window (ms; 0 = commit at once, as before group commit), alternated ``--repeat`` times, it prints this
process's CPU (event loop + writer thread + the pacing harness, the same for every window) and the writer's
PostgreSQL backend's CPU per message, the mean batch, and the ack latency (write called -> acknowledged). Run it
pinned (``taskset -c 1``): the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import text

from app.db import make_engine
from bench import servers
from bench.procstat import load_average
from bench.writer_batches import Rows, seed
from rooms.database import Database
from rooms.writer import BatchWriter


def _backend_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / 100


async def measure(db: Database, rows: Rows, rate: float, seconds: float, gather_ms: float) -> dict[str, float]:
    writer = BatchWriter(db, gather=gather_ms / 1000)
    writer.start()
    await asyncio.gather(*(writer.write(rows()) for _ in range(50)))  # warm: the connection and statement caches
    assert writer._conn is not None
    backend = int(await asyncio.to_thread(lambda: writer._conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()))  # type: ignore[union-attr]
    await asyncio.to_thread(writer._conn.rollback)  # type: ignore[union-attr]
    loop = asyncio.get_running_loop()
    latencies: list[float] = []

    async def one() -> None:
        started = loop.time()
        await writer.write(rows())
        latencies.append(loop.time() - started)

    tasks: set[asyncio.Task[None]] = set()
    batches, written = writer.batches, writer.rows
    cpu_before, backend_before = time.process_time(), _backend_seconds(backend)
    start = loop.time()
    sent = 0
    total = int(rate * seconds)
    while sent < total:
        due = min(total, int((loop.time() - start) * rate) + 1)
        while sent < due:
            task = asyncio.create_task(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - loop.time()))
    while tasks:
        await asyncio.gather(*tasks)
    cpu, backend_cpu = time.process_time() - cpu_before, _backend_seconds(backend) - backend_before
    count = writer.rows - written
    result = {
        "process_us": cpu / count * 1e6,
        "backend_us": backend_cpu / count * 1e6,
        "batch": count / max(1, writer.batches - batches),
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": statistics.quantiles(latencies, n=100)[98] * 1e3,
    }
    await writer.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=500, help="messages a second (one process's share)")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--gather", default="0,5", help="group-commit windows in ms, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--database-url", help="a migrated PostgreSQL database with the demo data")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.database_url
        if url is None:
            url = stack.enter_context(servers.postgres_schema())
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bw-paced-")))
            servers.prepare_bridgeway(servers.bridgeway_env(data_dir, BRIDGEWAY_DATABASE_URL=url))
        engine = make_engine(url)
        db = Database(engine)
        rows = Rows(seed(engine, args.rooms, 0))
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        windows = [float(x) for x in args.gather.split(",")]
        for round_ in range(args.repeat):
            for gather_ms in windows:
                r = asyncio.run(measure(db, rows, args.rate, args.seconds, gather_ms))
                print(
                    f"round {round_ + 1}, load {load_average():.1f}, {args.rate:.0f}/s, gather {gather_ms:g} ms: "
                    f"process {r['process_us']:.0f} µs/msg, PostgreSQL backend {r['backend_us']:.0f} µs/msg, "
                    f"batch {r['batch']:.2f}, ack p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms",
                    flush=True,
                )
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
