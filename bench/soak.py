"""Soak test: thousands of students join, chat, drop and rejoin against a real server; audit that nothing is lost.

Run ``python -m bench.soak`` (2,000 students) or ``python -m bench.soak --quick`` (300). Everything runs on
127.0.0.1 against a fresh data dir and takes a few minutes at most. Exit status 1 when any acknowledged message
is missing, stored twice, or was not delivered to every member of its room (live or via resume); the server's
RSS after warm-up, half-way and after the churn is reported (``--max-rss-growth`` turns it into a check too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.procstat import rss_bytes

SECRET = "soak-secret-key-for-bridgeway-soak-runs"


@dataclass
class Student:
    """One simulated student and everything its client saw, for the audit."""

    index: int
    token: str = ""
    pid: int = 0
    room: int | None = None
    last_id: int = 0
    received: set[int] = field(default_factory=set)
    acked: dict[str, int] = field(default_factory=dict)  # client_id -> message id
    unacked: dict[str, str] = field(default_factory=dict)  # client_id -> text, to retry after a reconnect
    sent: int = 0
    retries: int = 0
    drops: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    ws: ClientConnection | None = None
    reader: asyncio.Task[None] | None = None
    paired: asyncio.Event = field(default_factory=asyncio.Event)
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seed(data_dir: Path) -> None:
    from app.db import make_engine
    from app.demo import seed_demo
    from app.migrate import upgrade
    from app.settings import Settings

    settings = Settings(data_dir=data_dir, secret_key=SECRET, translation_backend="off")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    seed_demo(engine, settings)
    engine.dispose()


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    env.update(
        {
            "BRIDGEWAY_DATA_DIR": str(data_dir),
            "BRIDGEWAY_SECRET_KEY": SECRET,
            "BRIDGEWAY_TRANSLATION_BACKEND": "off",
            "BRIDGEWAY_BASE_URL": f"http://127.0.0.1:{port}",
            "BRIDGEWAY_JOIN_CODE_RATE": "1000000/minute",
            "BRIDGEWAY_JOIN_SESSION_RATE": "1000000/minute",
            "BRIDGEWAY_MESSAGE_RATE": "1000000/second",
            "BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "1000000",
            "BRIDGEWAY_MODERATION_HOOKS": '["length"]',  # the audit is about delivery, not moderation
            "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "120",  # drops must not re-pair anyone during the soak
            "BRIDGEWAY_WS_SEND_QUEUE": "4096",
        }
    )
    log = open(data_dir / "server.log", "ab")  # the child process writes to it until it exits
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "websockets-sansio", "--loop", "uvloop", "--http", "httptools",
         "--no-access-log", "--backlog", "4096"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start; see " + str(data_dir / "server.log"))


class Soak:
    def __init__(self, port: int, students: int, churn_seconds: float, drop_chance: float) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        self.students = [Student(i) for i in range(students)]
        self.churn_seconds = churn_seconds
        self.drop_chance = drop_chance
        self.sending = True

    async def join_all(self) -> None:
        limit = asyncio.Semaphore(50)
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:

            async def join(s: Student) -> None:
                code = "RIVER9" if s.index % 2 == 0 else "CERVA3"
                async with limit:
                    response = await http.post("/api/join", json={"code": code, "name": f"Soak {s.index}"})
                response.raise_for_status()
                body = response.json()
                s.token, s.pid = body["token"], body["participant"]["id"]

            await asyncio.gather(*(join(s) for s in self.students))

    async def connect(self, s: Student) -> None:
        """Open the socket, say hello with the last id seen; the reader resumes and then retries unacked sends."""
        s.caught_up.clear()
        s.ws = await connect(self.ws_url, open_timeout=30, max_queue=None)
        await s.ws.send(json.dumps({"type": "hello", "v": 1, "token": s.token, "last_id": s.last_id}))
        s.reader = asyncio.create_task(self.read(s, s.ws))

    async def read(self, s: Student, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                frame: dict[str, Any] = json.loads(raw)
                kind = frame.get("type")
                if kind == "welcome":
                    if frame.get("room"):
                        s.room = frame["room"]["id"]
                        s.paired.set()
                    else:
                        s.caught_up.set()
                elif kind == "paired":
                    s.room = frame["room"]["id"]
                    s.paired.set()
                    s.caught_up.set()
                elif kind == "message":
                    s.received.add(frame["id"])
                    s.last_id = max(s.last_id, frame["id"])
                elif kind == "resumed":
                    s.caught_up.set()
                    for client_id, text in list(s.unacked.items()):  # retry what was never acknowledged
                        s.retries += 1
                        await ws.send(json.dumps({"type": "send", "client_id": client_id, "text": text}))
                elif kind == "ack":
                    s.acked[frame["client_id"]] = frame["id"]
                    s.unacked.pop(frame["client_id"], None)
                elif kind == "error":
                    s.errors[frame.get("code", "?")] += 1

    async def drop(self, s: Student) -> None:
        """Vanish without a close handshake (a phone losing signal), then come back a moment later."""
        s.drops += 1
        if s.ws is not None:
            s.ws.transport.abort()
        if s.reader is not None:
            with contextlib.suppress(BaseException):
                await s.reader
        await asyncio.sleep(random.uniform(0.1, 1.0))
        await self.connect(s)

    async def say(self, s: Student) -> None:
        client_id = f"{s.pid}-{s.sent}"
        text = f"soak message {s.sent} from student {s.index}"
        s.sent += 1
        s.unacked[client_id] = text
        if s.ws is not None:
            with contextlib.suppress(Exception):
                await s.ws.send(json.dumps({"type": "send", "client_id": client_id, "text": text}))

    async def live(self, s: Student) -> None:
        await asyncio.wait_for(s.paired.wait(), 120)
        while self.sending:
            await asyncio.sleep(random.uniform(1.0, 3.0))
            if not self.sending:
                break
            roll = random.random()
            if roll < self.drop_chance / 2:
                await self.drop(s)  # gone between messages
            await asyncio.wait_for(s.caught_up.wait(), 60)
            await self.say(s)
            if roll > 1 - self.drop_chance / 2:
                await self.drop(s)  # gone right after sending: the ack may be lost, so the send is retried

    async def settle(self, patience: float = 60) -> None:
        """Stop sending; reconnect anyone whose retries are pending until every send is acknowledged."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline and any(s.unacked for s in self.students):
            await asyncio.sleep(1)
            for s in self.students:
                if s.unacked and (s.reader is None or s.reader.done()):
                    await self.connect(s)
        for s in self.students:  # a final resume: whatever a member missed live arrives now
            s.caught_up.clear()
            if s.ws is not None:
                with contextlib.suppress(Exception):
                    await s.ws.send(json.dumps({"type": "resume", "last_id": 0}))
        await asyncio.wait_for(asyncio.gather(*(s.caught_up.wait() for s in self.students)), 120)
        await asyncio.sleep(1)

    async def close(self) -> None:
        for s in self.students:
            if s.ws is not None:
                with contextlib.suppress(Exception):
                    await s.ws.close()


def audit(db_path: Path, students: list[Student]) -> dict[str, int]:
    """Compare the clients' records with the database."""
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT id, room_id, participant_id, client_msg_id, state FROM message WHERE lower(kind) = 'chat'"
    ).fetchall()
    members: dict[int, set[int]] = {}
    for room_id, pid in conn.execute("SELECT room_id, participant_id FROM room_member"):
        members.setdefault(room_id, set()).add(pid)
    conn.close()
    by_key = Counter((pid, cid) for _, _, pid, cid, _ in rows)
    stored = {mid: (room, pid, state) for mid, room, pid, _, state in rows}
    by_pid = {s.pid: s for s in students}
    acked = [(s.pid, cid, mid) for s in students for cid, mid in s.acked.items()]
    missing = sum(1 for _, _, mid in acked if mid not in stored)
    duplicated = sum(1 for count in by_key.values() if count > 1)
    undelivered = 0
    for _pid, _cid, mid in acked:
        if mid not in stored or str(stored[mid][2]).lower() != "visible":
            continue
        for member in members.get(stored[mid][0], set()):
            if member in by_pid and mid not in by_pid[member].received:
                undelivered += 1
    return {
        "acked": len(acked),
        "stored": len(rows),
        "missing": missing,
        "duplicated": duplicated,
        "undelivered": undelivered,
        "unacked_left": sum(len(s.unacked) for s in students),
    }


async def run(args: argparse.Namespace) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.students + 1024)), hard))
    data_dir = Path(tempfile.mkdtemp(prefix="bridgeway-soak-"))
    seed(data_dir)
    port = free_port()
    server = start_server(data_dir, port)
    soak = Soak(port, args.students, args.churn, args.drop_chance)
    started = time.monotonic()
    try:
        await soak.join_all()
        joined = time.monotonic() - started
        for s in soak.students:
            await soak.connect(s)
        await asyncio.wait_for(asyncio.gather(*(s.paired.wait() for s in soak.students)), 120)
        for s in soak.students:  # warm-up: one message each, then measure memory
            await soak.say(s)
        await asyncio.sleep(3)
        rss_warm = rss_bytes([server.pid])
        tasks = [asyncio.create_task(soak.live(s)) for s in soak.students]
        await asyncio.sleep(args.churn / 2)
        rss_mid = rss_bytes([server.pid])
        await asyncio.sleep(args.churn / 2)
        soak.sending = False
        await asyncio.gather(*tasks, return_exceptions=True)
        await soak.settle()
        await asyncio.sleep(2)
        rss_after = rss_bytes([server.pid])
        result = audit(data_dir / "bridgeway.db", soak.students)
    finally:
        await soak.close()
        server.kill()
        server.wait(10)
    errors: Counter[str] = Counter()
    for s in soak.students:
        errors.update(s.errors)
    summary = {
        "students": args.students,
        "rooms": len({s.room for s in soak.students}),
        "join_seconds": round(joined, 1),
        "churn_seconds": args.churn,
        "sent": sum(s.sent for s in soak.students),
        "drops": sum(s.drops for s in soak.students),
        "retried_sends": sum(s.retries for s in soak.students),
        **result,
        "error_frames": dict(errors),
        "rss_warm_mb": round(rss_warm / 2**20, 1),
        "rss_mid_churn_mb": round(rss_mid / 2**20, 1),
        "rss_after_churn_mb": round(rss_after / 2**20, 1),
        "rss_growth_pct": round(100 * (rss_after - rss_warm) / rss_warm, 1) if rss_warm else None,
        "wall_seconds": round(time.monotonic() - started, 1),
        "data_dir": str(data_dir),
    }
    print(json.dumps(summary, indent=2))
    bad = result["missing"] or result["duplicated"] or result["undelivered"] or result["unacked_left"]
    if bad:
        print("FAIL: acknowledged messages were lost, duplicated or not delivered", file=sys.stderr)
        return 1
    growth = summary["rss_growth_pct"]
    if args.max_rss_growth is not None and growth is not None and growth > args.max_rss_growth:
        print(f"FAIL: server memory grew more than {args.max_rss_growth}% after churn", file=sys.stderr)
        return 1
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--students", type=int, default=2000, help="simulated students (default 2000)")
    parser.add_argument("--quick", action="store_true", help="300 students, 20 s of churn")
    parser.add_argument("--churn", type=float, default=60.0, help="seconds of chatting and dropping (default 60)")
    parser.add_argument("--drop-chance", type=float, default=0.15, help="chance a student drops before a message")
    parser.add_argument(
        "--max-rss-growth", type=float, default=None, help="also fail above this %% RSS growth (default: report only)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.students, args.churn = 300, 20.0
    return args


def main(argv: list[str] | None = None) -> None:
    raise SystemExit(asyncio.run(run(parse_args(argv))))


if __name__ == "__main__":
    main()
