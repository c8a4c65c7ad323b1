"""Start and stop benchmark servers (Bridgeway or the bare baseline) as pinned uvicorn processes on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_BENCH_URL = "redis://127.0.0.1:6379/13"  # tests use db 15; pub/sub channels get unique session ids below
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    """One running uvicorn process and where its output goes."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


@dataclass
class Deployment:
    """A Bridgeway configuration: its environment plus the servers started for it."""

    env: dict[str, str]
    servers: list[Server] = field(default_factory=list)

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.servers]


def pinned(core: int | None) -> list[str]:
    """``taskset -c core`` when taskset exists and the machine has that core; else nothing."""
    if core is None or shutil.which("taskset") is None or (os.cpu_count() or 1) <= core:
        return []
    return ["taskset", "-c", str(core)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def uvicorn_command(app: str, port: int, *, factory: bool, deflate: bool) -> list[str]:
    """The issue's server setup: websockets-sansio, uvloop, httptools, no access log."""
    command = [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--port", str(port)]
    command += ["--ws", "websockets-sansio", "--loop", "uvloop", "--http", "httptools"]
    command += ["--log-level", "warning", "--no-access-log", "--backlog", "8192"]
    command += ["--ws-per-message-deflate", "true" if deflate else "false"]
    return command + (["--factory"] if factory else [])


def _raise_fd_limit() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(command: list[str], env: dict[str, str], port: int, core: int | None, log: Path) -> Server:
    """Start a server pinned to ``core`` and wait until it accepts connections (30 s at most)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            pinned(core) + command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_raise_fd_limit
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            time.sleep(0.3)  # the lifespan may still be finishing
            return Server(proc, port, log)
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start; see {log}")


def stop(server: Server) -> None:
    """SIGINT (graceful: flushes the writer), then SIGKILL after 10 s."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@contextlib.contextmanager
def sqlite_bridgeway(work: Path) -> Iterator[Server]:
    """One Bridgeway on a fresh, seeded SQLite database under ``work``, pinned to core 0; stopped afterwards."""
    env = bridgeway_env(work / "data")
    prepare_bridgeway(env)
    port = free_port()
    command = uvicorn_command("app.main:create_app", port, factory=True, deflate=False)
    server = start(command, env, port, 0, work / "server.log")
    try:
        yield server
    finally:
        stop(server)


def bridgeway_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """Environment for a benchmark Bridgeway: high join/message limits so the limits are not what is measured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    env.update(
        BRIDGEWAY_DATA_DIR=str(data_dir),
        BRIDGEWAY_SECRET_KEY="bench-" + uuid.uuid4().hex,
        BRIDGEWAY_JOIN_CODE_RATE="100000/minute",
        BRIDGEWAY_JOIN_SESSION_RATE="100000/minute",
        BRIDGEWAY_MESSAGE_RATE="100000/10 seconds",
        # The flood hook stays on; its limit is raised because every simulated student sends several a second.
        BRIDGEWAY_MODERATION_FLOOD_MESSAGES="100000",
        BRIDGEWAY_TRANSLATION_BACKEND="off",
        BRIDGEWAY_AUTO_MIGRATE="false",
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def prepare_bridgeway(env: dict[str, str], unique_session_id: bool = False) -> None:
    """Migrate and seed the demo classes RIVER9/CERVA3 and a live session (``bridgeway migrate`` + ``demo``)."""
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    if unique_session_id:
        _bump_session_ids(env["BRIDGEWAY_DATABASE_URL"])
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)


def _bump_session_ids(database_url: str) -> None:
    """Redis channels are per session id across all Redis databases: start ours far from the tests' ids."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        start_at = random.randrange(10_000_000, 90_000_000)
        conn.execute(text(f"ALTER SEQUENCE exchange_session_id_seq RESTART WITH {start_at}"))
    engine.dispose()


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL, dropped afterwards; yields its database URL."""
    from sqlalchemy import text

    from app.db import make_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def services_available() -> tuple[bool, bool]:
    """Whether the local PostgreSQL and Redis answer (the multi-process scenario needs both)."""

    def reachable(port: int) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return True
        return False

    return reachable(5432), reachable(6379)
