"""Translation at real model size under load: a real Bridgeway server, the base-size random model, mixed rooms.

Rooms of an English and a Spanish reader need every message translated; rooms of two English readers need none and
carry a steady background load. For each offered rate of messages needing translation (default 5, 20, 60, 120/s,
after a control step with none, which shows what the machine's other work does to delivery) the bench sends for
`--seconds`, waits for the stragglers and prints, against the issue's targets:

* translated/s: translation frames received by partners per second;
* added latency: from the sender's ack (when a message needing no translation is delivered) to the partner's
  translation frame. Translations are moderated before anyone reads the original (docs/security.md), so the
  original and its translation reach the partner together: this is also the original's extra wait;
* originals' delivery in the untranslated rooms (send -> partner), i.e. what translation costs everyone else;
* the share the bounded queue refused (those originals went out alone and the room was told once a minute);
* server (and worker) CPU in cores and the load average, since other work on the machine changes the figures.

    python -m bench.translation_load                      # in-process translation (the default setup)
    python -m bench.translation_load --queue-workers 2    # two `bridgeway translation-worker`s through Redis
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.settings import Settings
from bench import servers
from bench.loadgen import percentile
from bench.procstat import CpuMeter, ThreadCpu, load_average
from bench.translation_model import BASE, CACHE, SMALL, cached_packages, sentences
from bench.wsclient import WsClient, connect, post_json

HOST = "127.0.0.1"
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"translated_per_s": 60.0, "added_p99_ms": 2000.0, "originals_p99_ms": 50.0}


@dataclass(eq=False)
class Student:
    idx: int
    reads: str
    token: str = ""
    pid: int = 0
    ws: WsClient | None = None
    room: int | None = None
    partner: Student | None = None
    paired: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Sent:
    at: float
    translated: bool
    acked: float | None = None
    message_id: int | None = None


class Driver:
    """Students, their sockets, and what each received when (monotonic seconds)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.students: list[Student] = []
        self.sent: dict[str, Sent] = {}
        self.originals: dict[int, float] = {}  # message id -> received by the partner
        self.translations: dict[int, float] = {}  # message id -> translation frame with text at the partner
        self.busy_notices = 0
        self.errors: dict[str, int] = {}
        self.steps = 0

    def on_text(self, student: Student, raw: str) -> None:
        frame = json.loads(raw)
        kind = frame.get("type")
        now = time.monotonic()
        if kind in ("welcome", "paired"):
            if kind == "welcome":
                student.pid = frame["participant"]["id"]
            if frame.get("room"):
                student.room = frame["room"]["id"]
                student.paired.set()
        elif kind == "ack":
            record = self.sent.get(frame["client_id"])
            if record is not None and frame.get("state") in ("visible", "masked"):
                record.acked, record.message_id = now, frame["id"]
        elif kind == "message" and (frame.get("from") or {}).get("id") != student.pid:
            self.originals.setdefault(frame["id"], now)
        elif kind == "translation" and "text" in frame and frame["lang"] == student.reads:
            self.translations.setdefault(frame["id"], now)
        elif kind == "event" and frame.get("event") == "translation_busy":
            self.busy_notices += 1
        elif kind == "error":
            self.errors[frame["code"]] = self.errors.get(frame["code"], 0) + 1
        elif kind == "ping" and student.ws is not None:
            student.ws.send_json({"type": "pong"})

    async def join(self, translated_rooms: int, plain_rooms: int) -> None:
        """GB students read English; ES students read Spanish (translated rooms) or English (no translation)."""
        plan = [("RIVER9", "en")] * (translated_rooms + plain_rooms)
        plan += [("CERVA3", "es")] * translated_rooms + [("CERVA3", "en")] * plain_rooms
        for idx, (code, reads) in enumerate(plan):
            student = Student(idx, reads)
            status, body = await post_json(
                HOST, self.port, "/api/join", {"code": code, "name": f"t{idx}", "languages": [reads]}
            )
            if status != 201:
                raise RuntimeError(f"join failed: {status} {body}")
            student.token = body["token"]
            self.students.append(student)
        for student in self.students:
            student.ws = await connect(HOST, self.port, "/ws", lambda raw, s=student: self.on_text(s, raw))
            student.ws.send_json({"type": "hello", "v": 1, "token": student.token, "last_id": 0})
        async with asyncio.timeout(60):
            for student in self.students:
                await student.paired.wait()
        by_room: dict[int, list[Student]] = {}
        for student in self.students:
            assert student.room is not None
            by_room.setdefault(student.room, []).append(student)
        for members in by_room.values():
            if len(members) == 2:
                members[0].partner, members[1].partner = members[1], members[0]

    def senders(self, translated: bool) -> list[Student]:
        return [s for s in self.students if s.partner is not None and (s.reads != s.partner.reads) == translated]

    async def step(self, rate: float, background: float, seconds: float, texts: list[str]) -> dict[str, Any]:
        self.sent.clear()
        self.busy_notices = 0
        self.steps += 1  # in client ids: a repeated id would be taken for a resend of the earlier message
        translating, plain = self.senders(True), self.senders(False)
        started = time.monotonic()
        counts = {True: 0, False: 0}
        while (elapsed := time.monotonic() - started) < seconds:
            for translated, per_s, group in ((True, rate, translating), (False, background, plain)):
                for _ in range(int(per_s * elapsed) - counts[translated]):
                    n = counts[translated]
                    counts[translated] += 1
                    student = group[n % len(group)]
                    cid = f"{'t' if translated else 'p'}{self.steps}x{n}"
                    text = texts.pop() if translated else f"hello again from the other side number {n} today"
                    self.sent[cid] = Sent(time.monotonic(), translated)
                    assert student.ws is not None
                    student.ws.send_json({"type": "send", "client_id": cid, "text": text})
            await asyncio.sleep(0.002)
        window = time.monotonic() - started
        await self._drain(20.0)
        return self._figures(rate, background, window)

    async def _drain(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            records = list(self.sent.values())
            if all(r.message_id is not None and r.message_id in self.originals for r in records):
                await asyncio.sleep(0.5)  # translations travel with their original; leave a moment anyway
                return
            await asyncio.sleep(0.1)

    def _figures(self, rate: float, background: float, window: float) -> dict[str, Any]:
        translated = [r for r in self.sent.values() if r.translated and r.message_id is not None]
        plain = [r for r in self.sent.values() if not r.translated and r.message_id is not None]
        done = [r for r in translated if r.message_id in self.translations]
        added = [(self.translations[r.message_id] - r.acked) * 1000 for r in done if r.acked is not None]
        held = [(self.originals[r.message_id] - r.at) * 1000 for r in translated if r.message_id in self.originals]
        originals = [(self.originals[r.message_id] - r.at) * 1000 for r in plain if r.message_id in self.originals]
        last = max((self.translations[r.message_id] for r in done), default=0.0)
        first = min((r.at for r in translated), default=0.0)
        span = max(window, last - first)
        return {
            "offered_per_s": rate,
            "background_per_s": background,
            "sent_needing_translation": len(translated),
            "translated": len(done),
            "translated_per_s": round(len(done) / span, 1) if span > 0 else 0.0,
            "not_translated": len(translated) - len(done),
            "busy_notices": self.busy_notices,
            "added_p50_ms": round(percentile(added, 0.5), 1),
            "added_p99_ms": round(percentile(added, 0.99), 1),
            "translated_original_p99_ms": round(percentile(held, 0.99), 1),
            "originals_sent": len(plain),
            "originals_p50_ms": round(percentile(originals, 0.5), 1),
            "originals_p99_ms": round(percentile(originals, 0.99), 1),
            "errors": dict(self.errors),
        }


def server_env(args: argparse.Namespace, data_dir: Path, packages: Path) -> dict[str, str]:
    extra = {
        "BRIDGEWAY_TRANSLATION_BACKEND": "argos",
        "BRIDGEWAY_TRANSLATION_PACKAGES_DIR": str(packages),
        "BRIDGEWAY_TRANSLATION_MAX_TOKENS": "16",  # random weights never stop: 16 tokens out, like the 16 in
        "BRIDGEWAY_TRANSLATION_WORKERS": str(args.workers),
        "BRIDGEWAY_TRANSLATION_THREADS": str(args.threads),
        "BRIDGEWAY_TRANSLATION_BATCH_SIZE": str(args.batch),
        "BRIDGEWAY_TRANSLATION_BEAM_SIZE": str(args.beam),
        "BRIDGEWAY_TRANSLATION_NICE": str(args.nice),
        "BRIDGEWAY_TRANSLATION_MAX_QUEUE": str(args.max_queue),
    }
    if args.queue_workers:
        extra["BRIDGEWAY_TRANSLATION_QUEUE_URL"] = args.redis_url
    return servers.bridgeway_env(data_dir, **extra)


async def drive(args: argparse.Namespace, port: int, pids: list[int]) -> list[dict[str, Any]]:
    driver = Driver(port)
    await driver.join(args.rooms, args.plain_rooms)
    count = int(sum(args.rates) * args.seconds + 20 * args.warmup) + 10
    texts = sentences(args.shape, count, seed=int(time.time()))  # never a cache hit
    if args.warmup > 0:  # not reported: the first seconds after the joins (writer, pairing, caches) are not typical
        await driver.step(min(args.rates[-1], 20.0), args.background, args.warmup, texts)
    rows = []
    for rate in args.rates:
        server, mine, loop = CpuMeter(pids), CpuMeter([os.getpid()]), ThreadCpu(pids[0], pids[0])
        load_before = load_average()
        for meter in (server, mine, loop):
            meter.start()
        row = await driver.step(rate, args.background, args.seconds, texts)
        row |= {"server_cores": round(server.stop(), 2), "event_loop_cores": round(loop.stop(), 2),
                "driver_cores": round(mine.stop(), 2), "load_before": round(load_before, 2),
                "load_after": round(load_average(), 2)}  # fmt: skip
        rows.append(row)
        print_row(row)
    for student in driver.students:
        if student.ws is not None:
            student.ws.close()
    return rows


def print_row(row: dict[str, Any]) -> None:
    def mark(ok: bool) -> str:
        return "ok " if ok else "MISS"

    offered = row["offered_per_s"]
    if offered == 0:
        print(f"control, nothing to translate | originals p50 {row['originals_p50_ms']:5.1f} p99"
              f" {row['originals_p99_ms']:6.1f} ms | server {row['server_cores']} cores (event loop"
              f" {row['event_loop_cores']}), load {row['load_before']}->{row['load_after']}", flush=True)  # fmt: skip
        return
    rate_ok = row["translated_per_s"] >= min(offered, TARGETS["translated_per_s"]) * 0.95
    print(
        f"offered {offered:>5.0f}/s | translated {row['translated_per_s']:6.1f}/s {mark(rate_ok)}"
        f" ({row['not_translated']} of {row['sent_needing_translation']} refused or late) | added p50"
        f" {row['added_p50_ms']:7.0f} ms p99 {row['added_p99_ms']:7.0f} ms {mark(row['added_p99_ms'] <= 2000)}"
        f" | originals p50 {row['originals_p50_ms']:5.1f} p99 {row['originals_p99_ms']:6.1f} ms"
        f" {mark(row['originals_p99_ms'] < 50)} | server {row['server_cores']} cores (event loop"
        f" {row['event_loop_cores']}), load"
        f" {row['load_before']}->{row['load_after']}",
        flush=True,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="0,5,20,60,120", help="messages needing translation per second (0: control)")
    parser.add_argument("--seconds", type=float, default=20.0, help="sending time per rate")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of unreported load first")
    parser.add_argument("--background", type=float, default=50.0, help="messages/s in rooms needing no translation")
    parser.add_argument("--rooms", type=int, default=60, help="rooms of an English and a Spanish reader")
    parser.add_argument("--plain-rooms", type=int, default=25, help="rooms of two English readers")
    parser.add_argument("--workers", type=int, default=2, help="BRIDGEWAY_TRANSLATION_WORKERS")
    parser.add_argument("--threads", type=int, default=1, help="BRIDGEWAY_TRANSLATION_THREADS")
    parser.add_argument("--batch", type=int, default=32, help="BRIDGEWAY_TRANSLATION_BATCH_SIZE")
    parser.add_argument("--beam", type=int, default=1, help="BRIDGEWAY_TRANSLATION_BEAM_SIZE")
    parser.add_argument("--nice", type=int, default=10, help="BRIDGEWAY_TRANSLATION_NICE")
    parser.add_argument("--max-queue", type=int, default=Settings.model_fields["translation_max_queue"].default,
                        help="BRIDGEWAY_TRANSLATION_MAX_QUEUE")  # fmt: skip
    parser.add_argument("--queue-workers", type=int, default=0, help="translation-worker processes (0: in process)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--cache-dir", type=Path, default=CACHE)
    parser.add_argument("--small", action="store_true", help="a small model instead of Argos's size (smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS / "translation_load.json")
    args = parser.parse_args(argv)
    args.rates = [float(x) for x in args.rates.split(",") if x]
    args.shape = SMALL if args.small else BASE
    return args


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    packages = cached_packages(args.shape, args.cache_dir)
    with tempfile.TemporaryDirectory(prefix="bridgeway-translation-") as tmp:
        env = server_env(args, Path(tmp), packages)
        servers.prepare_bridgeway(env)
        command = [sys.executable, "-m", "app.cli", "translation-worker", "--name"]
        workers = [
            subprocess.Popen([*command, f"bench-{n}"], env=env, cwd=servers.ROOT, stderr=subprocess.DEVNULL)
            for n in range(args.queue_workers)
        ]
        port = servers.free_port()
        command = servers.uvicorn_command("app.main:create_app", port, factory=True, deflate=False)
        server = servers.start(command, env, port, None, Path(tmp) / "server.log")
        mode = f"{args.queue_workers} translation-worker processes" if workers else "in process"
        print(
            f"translation {mode}: {args.workers} workers x {args.threads} threads, batch {args.batch}, beam"
            f" {args.beam}, nice {args.nice}, queue {args.max_queue}; {args.rooms} translated + {args.plain_rooms}"
            f" plain rooms, background {args.background:.0f}/s; {os.cpu_count()} cores, load {load_average():.2f}",
            flush=True,
        )
        try:
            rows = asyncio.run(drive(args, port, [server.pid, *(w.pid for w in workers)]))
        finally:
            servers.stop(server)
            for worker in workers:
                worker.terminate()
                worker.wait(10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2))
    return rows


if __name__ == "__main__":
    main()
