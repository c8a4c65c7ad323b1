"""The message writer's CPU per message at fixed batch sizes: ``python -m bench.writer_batches [--batches 1,4,32]``.

Drives a real ``BatchWriter`` on a migrated SQLite database (or ``--database-url``) with the demo data, a room and a
student per 2 of ``--rooms`` students, and ``--rows-before`` messages already stored (index depth matters). Each
batch is ``--batch`` messages of as many rooms written at once; prints the writer thread's and the event loop's CPU
per message. Run it pinned (``taskset -c 1``) and A/B against the other code, alternating: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, text

from app.db import make_engine
from bench import servers
from bench.procstat import load_average, thread_cpu_seconds
from rooms.clock import utcnow
from rooms.database import Database
from rooms.models import MessageRow
from rooms.writer import BatchWriter

_TEXT = "hello there, how are you today? we went to the river after school"


def seed(engine: Engine, rooms: int, rows_before: int) -> list[tuple[int, int]]:
    """``rooms`` rooms with a student each (the demo session), and ``rows_before`` messages spread over them."""
    now = utcnow()
    seats = []
    with engine.begin() as conn:
        session_id = conn.execute(text("SELECT id FROM exchange_session ORDER BY id LIMIT 1")).scalar_one()
        class_id = conn.execute(text("SELECT id FROM school_class ORDER BY id LIMIT 1")).scalar_one()
        for index in range(rooms):
            room_id = conn.execute(
                text(
                    "INSERT INTO room (session_id, status, slow_mode_seconds, created_at, last_seq)"
                    " VALUES (:s, 'OPEN', 0, :t, 0) RETURNING id"
                ),
                {"s": session_id, "t": now},
            ).scalar_one()
            participant_id = conn.execute(
                text(
                    "INSERT INTO participant (session_id, class_id, display_name, country, languages, token_nonce,"
                    " status, show_translations, banned, joined_at, erased, room_id)"
                    " VALUES (:s, :c, :n, 'GB', '[]', 'x', 'PAIRED', true, false, :t, false, :r) RETURNING id"
                ),
                {"s": session_id, "c": class_id, "n": f"bench-{index}", "t": now, "r": room_id},
            ).scalar_one()
            seats.append((room_id, participant_id))
    return seats


class Rows:
    def __init__(self, seats: list[tuple[int, int]]) -> None:
        self.seats, self.count = seats, 0

    def __call__(self) -> MessageRow:
        self.count += 1
        room_id, participant_id = self.seats[self.count % len(self.seats)]
        return MessageRow(
            room_id=room_id,
            participant_id=participant_id,
            client_msg_id=f"b{self.count}",
            text=_TEXT,
            created_at=utcnow(),
            language="en",
        )


async def measure(db: Database, rows: Rows, batch: int, messages: int) -> tuple[float, float, float]:
    """Writer thread and event loop CPU µs per message, and the mean batch, over ``messages`` messages."""
    writer = BatchWriter(db)
    writer.start()
    for _ in range(20):  # warm: the connection, statement caches
        await asyncio.gather(*(writer.write(rows()) for _ in range(batch)))
    thread_id = next(t.native_id for t in threading.enumerate() if t.name == "message-writer")
    pid = os.getpid()
    batches, written = writer.batches, writer.rows
    writer_before, loop_before = thread_cpu_seconds(pid, thread_id), time.thread_time()
    for _ in range(messages // batch):
        await asyncio.gather(*(writer.write(rows()) for _ in range(batch)))
    writer_used, loop_used = thread_cpu_seconds(pid, thread_id) - writer_before, time.thread_time() - loop_before
    count = writer.rows - written
    mean = count / (writer.batches - batches)
    await writer.stop()
    return writer_used / count * 1e6, loop_used / count * 1e6, mean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", default="1,4,32", help="batch sizes, comma-separated")
    parser.add_argument("--messages", type=int, default=6000, help="messages a measurement (batch 1: a third)")
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--rows-before", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--database-url", help="a migrated database with the demo data (default: a new SQLite)")
    args = parser.parse_args(argv)
    url = args.database_url
    if url is None:
        data_dir = Path(tempfile.mkdtemp(prefix="bw-writer-"))
        env = servers.bridgeway_env(data_dir)
        servers.prepare_bridgeway(env)
        url = f"sqlite:///{data_dir / 'bridgeway.db'}"
    engine = make_engine(url)
    db = Database(engine)
    rows = Rows(seed(engine, args.rooms, args.rows_before))
    for _ in range(args.rows_before // 500):
        asyncio.run(measure(db, rows, 500, 500))
    print(f"load {load_average():.1f}, {args.rows_before} messages stored before")
    for batch in (int(size) for size in args.batches.split(",")):
        messages = args.messages // 3 if batch == 1 else args.messages
        results = [asyncio.run(measure(db, rows, batch, messages)) for _ in range(args.repeat)]
        writer = " ".join(f"{w:6.1f}" for w, _, _ in results)
        loop = " ".join(f"{lp:5.1f}" for _, lp, _ in results)
        print(f"batch {batch:4d} (mean {results[0][2]:5.1f}): writer thread µs/msg {writer}   event loop {loop}")
    print(f"load {load_average():.1f}")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
