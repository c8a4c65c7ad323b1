"""Load generator: join N students, pair them, send at set rates; latency, loss, server CPU and memory.

Run it in its own process (``python -m bench.loadgen --help``); ``bench.run`` starts servers and drives it.
Only 127.0.0.1 is ever contacted, and students, rate and duration are bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import string
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.procstat import CpuMeter, cpu_seconds, load_average, rss_bytes, service_pids
from bench.wsclient import WsClient, connect, post_json

HOST = "127.0.0.1"
MAX_STUDENTS = 20_000
MAX_RATE = 100_000
MAX_DURATION = 120.0
MESSAGE_BYTES = 120
P99_LIMIT_MS = 100.0
_ENCODE = str.maketrans("0123456789abcdef", "bcdfghjklmnpqrst")  # consonants: no digits for the phone filter
_DECODE = str.maketrans("bcdfghjklmnpqrst", "0123456789abcdef")
_ENCODE_ID = str.maketrans("0123456789.", "bcdfghjklmw")  # "1.2.3" as one word: no digits, no dots (no domain)
_DECODE_ID = str.maketrans("bcdfghjklmw", "0123456789.")
_FILLER = (
    "hello from our town where the river is wide and the bakery sells warm bread"
    " every single morning of the week to all"
)


def message_text(sent_ns: int, client_id: str = "") -> str:
    """A 120-byte chat line carrying its send time (monotonic µs) and client_id, spelled in consonants.

    The client_id rides in the text because the server gives it back to its sender only, not to the partner.
    """
    head = f"bench {format(sent_ns // 1000, 'x').translate(_ENCODE)} {client_id.translate(_ENCODE_ID)} "
    return (head + _FILLER)[:MESSAGE_BYTES]


def sent_at_ns(text: str) -> int:
    return int(text.split(" ", 2)[1].translate(_DECODE), 16) * 1000


def client_id_of(text: str) -> str:
    return text.split(" ", 3)[2].translate(_DECODE_ID)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(eq=False)
class Student:
    idx: int
    port: int
    token: str = ""
    pid: int = 0
    ws: WsClient | None = None
    room: int | None = None
    partners: int = 0
    paired: asyncio.Event = field(default_factory=asyncio.Event)
    seq: int = 0


@dataclass
class StepResult:
    target_rate: float
    delivered_per_s: float
    sent: int
    acked: int
    delivered: int
    lost: int
    duplicates: int  # deliveries beyond one per partner (a retried publish or a replay delivered twice)
    unacked: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu: float
    client_cpu: float
    services_cpu: float  # PostgreSQL and Redis on this machine, in cores (idle ones count too: compare to a 0 step)
    # Server CPU seconds from the step's start until its deliveries settled: a step past the knee leaves work for its
    # drain, which ``server_cpu`` (the sending window only) misses; this divided by ``delivered`` does not.
    server_cpu_settled: float
    rss_per_conn_kb: float
    errors: dict[str, int]
    ack_states: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.p99_ms <= P99_LIMIT_MS and self.lost == 0 and self.delivered_per_s >= 0.9 * self.target_rate


@dataclass
class LoadGen:
    ports: list[int]
    students_n: int
    codes: list[str]
    server_pids: list[int]
    deflate: bool = False
    no_acks: bool = False  # the bare relay acknowledges nothing: every send counts as accepted and visible
    students: list[Student] = field(default_factory=list)
    by_pid: dict[int, Student] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)  # client id -> partners expected
    acked: dict[str, str] = field(default_factory=dict)  # client id -> moderation state
    deliveries: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    other_frames: Counter[str] = field(default_factory=Counter)
    step: int = 0
    rss_before: int = 0

    def on_text(self, student: Student, text: str) -> None:
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "message":
            sender = frame.get("from") or {}
            if sender.get("id") == student.pid:
                return  # the sender's own echo
            cid = client_id_of(frame["text"])
            if cid.startswith(f"{self.step}."):
                self.latencies.append((time.monotonic_ns() - sent_at_ns(frame["text"])) / 1e6)
                self.deliveries[cid] += 1
        elif kind == "ack":
            cid = frame["client_id"]
            if cid.startswith(f"{self.step}."):  # an earlier step's late ack was counted there (unacked)
                self.acked[cid] = frame.get("state", "visible")
        elif kind in ("welcome", "paired"):
            if kind == "welcome":
                student.pid = frame["participant"]["id"]
                self.by_pid[student.pid] = student
            room = frame.get("room")
            if room:
                student.room, student.partners = room["id"], len(room["members"]) - 1
                student.paired.set()
        elif kind == "error":
            self.errors[str(frame.get("code"))] += 1
        elif kind == "ping" and student.ws is not None:
            # As the chat page does: a silent student is not paired after 12 s (stale) and is closed after 15 s.
            student.ws.send_json({"type": "pong"})
        else:
            self.other_frames[str(kind)] += 1

    async def join(self, concurrency: int = 32) -> float:
        """Join every student through POST /api/join, alternating class codes; returns seconds taken."""
        tag = "".join(random.choices(string.ascii_lowercase, k=4))
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()

        async def one(student: Student) -> None:
            body = {"code": self.codes[student.idx % len(self.codes)], "name": f"s{student.idx}{tag}"}
            async with gate:
                status, answer = await post_json(HOST, student.port, "/api/join", body)
            if status != 201:
                raise RuntimeError(f"join {student.idx} failed: {status} {answer}")
            student.token = answer["token"]

        self.students = [Student(i, self.ports[i % len(self.ports)]) for i in range(self.students_n)]
        await asyncio.gather(*(one(s) for s in self.students))
        return time.monotonic() - started

    async def open_all(self, concurrency: int = 200) -> float:
        """Open every socket and say hello; returns seconds taken."""
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()

        async def one(student: Student) -> None:
            async with gate:
                ws = await connect(HOST, student.port, "/ws", lambda t: self.on_text(student, t), self.deflate)
            student.ws = ws
            ws.send_json({"type": "hello", "token": student.token, "last_id": 0})

        await asyncio.gather(*(one(s) for s in self.students))
        return time.monotonic() - started

    async def wait_paired(self, limit: float) -> int:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                for student in self.students:
                    await student.paired.wait()
        return sum(1 for s in self.students if s.paired.is_set())

    async def run_step(self, rate: float, duration: float, drain: float = 5.0) -> StepResult:
        """Send ``rate`` messages/s in total, round-robin over paired students, for ``duration`` seconds."""
        self.step += 1
        for collected in (self.sent, self.acked, self.deliveries, self.latencies, self.errors):
            collected.clear()
        senders = [s for s in self.students if s.paired.is_set() and s.ws is not None and s.partners > 0]
        meter, mine, services = CpuMeter(self.server_pids), CpuMeter([os.getpid()]), CpuMeter(service_pids())
        meter.start()
        cpu_at_start = cpu_seconds(self.server_pids)
        mine.start()
        services.start()
        started = time.monotonic()
        count, cursor = 0, 0
        while (elapsed := time.monotonic() - started) < duration:
            due = int(rate * elapsed) - count
            for _ in range(due):
                student = senders[cursor % len(senders)]
                cursor += 1
                student.seq += 1
                cid = f"{self.step}.{student.idx}.{student.seq}"
                if student.ws is None or not student.ws.is_open:
                    self.errors["socket_closed"] += 1  # the server closed it (e.g. slow consumer): counted, not sent
                    continue
                self.sent[cid] = student.partners
                if self.no_acks:
                    self.acked[cid] = "visible"
                student.ws.send_json({"type": "send", "client_id": cid, "text": message_text(time.monotonic_ns(), cid)})
            count += max(due, 0)
            await asyncio.sleep(0.002)
        send_time = time.monotonic() - started
        cpu, client_cpu, services_cpu = meter.stop(), mine.stop(), max(0.0, services.stop())
        rss_loaded = rss_bytes(self.server_pids)
        for _ in range(int(drain / 0.05)):  # receive callbacks update plain counters: poll them
            if self._settled():
                break
            await asyncio.sleep(0.05)
        cpu_settled = cpu_seconds(self.server_pids) - cpu_at_start
        visible = [c for c, state in self.acked.items() if state in ("visible", "masked")]
        lost = sum(1 for c in visible if self.deliveries[c] < self.sent.get(c, 1))
        delivered = sum(self.deliveries.values())
        return StepResult(
            target_rate=rate,
            delivered_per_s=round(delivered / send_time, 1),
            sent=count,
            acked=len(self.acked),
            delivered=delivered,
            lost=lost,
            duplicates=sum(max(0, n - self.sent.get(c, n)) for c, n in self.deliveries.items()),
            unacked=len(self.sent) - len(self.acked) - sum(v for k, v in self.errors.items() if k != "socket_closed"),
            p50_ms=round(percentile(self.latencies, 0.50), 2),
            p95_ms=round(percentile(self.latencies, 0.95), 2),
            p99_ms=round(percentile(self.latencies, 0.99), 2),
            max_ms=round(max(self.latencies, default=0.0), 2),
            server_cpu=round(cpu, 2),
            client_cpu=round(client_cpu, 2),
            services_cpu=round(services_cpu, 2),
            server_cpu_settled=round(cpu_settled, 3),
            rss_per_conn_kb=round((rss_loaded - self.rss_before) / max(1, len(self.students)) / 1024, 1),
            errors=dict(self.errors),
            ack_states=dict(Counter(self.acked.values())),
        )

    def _settled(self) -> bool:
        if len(self.acked) + sum(v for k, v in self.errors.items() if k != "socket_closed") < len(self.sent):
            return False
        return all(self.deliveries[c] >= self.sent[c] for c, st in self.acked.items() if st in ("visible", "masked"))

    def close_all(self) -> None:
        for student in self.students:
            if student.ws is not None:
                student.ws.close()


async def knee_search(gen: LoadGen, start: float, duration: float, growth: float, bisect: int) -> dict[str, Any]:
    """Raise the rate until p99 passes 100 ms (or messages are lost), then bisect between the last good and bad."""
    steps: list[StepResult] = []
    good: StepResult | None = None
    rate, bad_rate = start, None
    while rate <= MAX_RATE and len(steps) < 12:
        result = await gen.run_step(rate, duration)
        steps.append(result)
        _log(
            f"  step {rate:>8.0f}/s -> {result.delivered_per_s:>8.0f}/s p99 {result.p99_ms} ms "
            f"cpu server {result.server_cpu} client {result.client_cpu} pg+redis {result.services_cpu}"
        )
        if not result.ok and good is None and rate > 100 and len(steps) < 6:
            bad_rate, rate = rate, rate / 2  # the start was already past the knee: look lower first
            await asyncio.sleep(0.5)
            continue
        if not result.ok:
            bad_rate = rate
            break
        good = result
        if bad_rate is not None:
            break  # found good ground below a failed start: bisect up from here
        rate *= growth
        await asyncio.sleep(0.5)
    low = good.target_rate if good else 0.0
    for _ in range(bisect if bad_rate else 0):
        assert bad_rate is not None
        mid = (low + bad_rate) / 2
        await asyncio.sleep(0.5)
        result = await gen.run_step(mid, duration)
        steps.append(result)
        _log(f"  bisect {mid:>6.0f}/s -> {result.delivered_per_s:>8.0f}/s p99 {result.p99_ms} ms")
        if result.ok:
            low = mid
            if good is None or result.delivered_per_s > good.delivered_per_s:
                good = result
        else:
            bad_rate = mid
    return {"knee_per_s": good.delivered_per_s if good else 0.0, "steps": [r.__dict__ for r in steps]}


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    gen = LoadGen(
        ports=args.ports,
        students_n=args.students,
        codes=args.codes,
        server_pids=args.server_pids,
        deflate=args.deflate,
        no_acks=args.no_acks,
    )
    report: dict[str, Any] = {"students": args.students, "deflate": args.deflate, "load_before": load_average()}
    join_s = await gen.join()
    report["join_s"] = round(join_s, 3)
    await asyncio.sleep(0.5)  # settle before the memory baseline (not counted in join_to_paired_s)
    gen.rss_before = rss_bytes(args.server_pids)
    t0 = time.monotonic()
    report["connect_s"] = round(await gen.open_all(), 3)
    paired = await gen.wait_paired(args.pair_timeout)
    report["paired"] = paired
    report["join_to_paired_s"] = round(join_s + time.monotonic() - t0, 3)
    if paired < args.students:
        report["error"] = f"only {paired} of {args.students} students were paired"
    await asyncio.sleep(1.0)
    if gen.server_pids:
        report["rss_idle_per_conn_kb"] = round((rss_bytes(args.server_pids) - gen.rss_before) / args.students / 1024, 1)
    if args.light:
        # Server CPU per message when the server is far from busy: fixed costs (timers, tasks, wake-ups) show here.
        report["light"] = (await gen.run_step(args.light, args.duration)).__dict__
    if args.knee:
        report["knee"] = await knee_search(gen, args.knee, args.duration, args.growth, args.bisect)
    for rate in args.rates:
        result = await gen.run_step(rate, args.duration, drain=args.drain)
        _log(
            f"  rate {rate:>8.0f}/s -> {result.delivered_per_s:>8.0f}/s p99 {result.p99_ms} ms"
            f" lost {result.lost} dup {result.duplicates}"
        )
        report.setdefault("steps", []).append(result.__dict__)
    report["other_frames"] = dict(gen.other_frames)
    closes = Counter(s.ws.close_code for s in gen.students if s.ws is not None and not s.ws.is_open)
    report["closed_by_server"] = {str(code): n for code, n in closes.items()}
    report["load_after"] = load_average()
    gen.close_all()
    await asyncio.sleep(0.2)
    return report


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, prog="python -m bench.loadgen")
    parser.add_argument("--ports", type=_ints, default=[8000], help="server ports on 127.0.0.1 (students alternate)")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--codes", type=lambda s: s.split(","), default=["RIVER9", "CERVA3"])
    parser.add_argument("--rates", type=_floats, default=[], help="total messages/s for each step")
    parser.add_argument("--knee", type=float, default=0.0, help="knee search starting at this total rate")
    parser.add_argument("--growth", type=float, default=1.3)
    parser.add_argument("--bisect", type=int, default=2)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per step")
    parser.add_argument(
        "--drain", type=float, default=5.0, help="seconds to wait for deliveries after a --rates step (late = lost)"
    )
    parser.add_argument("--pair-timeout", type=float, default=30.0)
    parser.add_argument("--server-pids", type=_ints, default=[])
    parser.add_argument("--deflate", action="store_true", help="negotiate permessage-deflate")
    parser.add_argument("--no-acks", action="store_true", help="the server sends no acks (the bare relay)")
    parser.add_argument("--light", type=float, default=0.0, help="first a step at this light total rate (CPU/msg)")
    parser.add_argument("--out", help="write the JSON report here (default: stdout)")
    args = parser.parse_args(argv)
    if not 2 <= args.students <= MAX_STUDENTS or args.students % 2:
        parser.error(f"--students must be even, 2..{MAX_STUDENTS}")
    if args.duration > MAX_DURATION or any(r > MAX_RATE for r in args.rates) or args.knee > MAX_RATE:
        parser.error(f"steps are bounded: {MAX_DURATION} s and {MAX_RATE} messages/s")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    report = runner(asyncio.wait_for(run(args), timeout=600))
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
