"""A real Bridgeway under uvicorn on 127.0.0.1, as a subprocess that tests can kill and restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx


def start_together(*servers: Server, timeout: float = 20.0) -> tuple[Server, ...]:
    """Start servers side by side (each start is mostly uvicorn importing the app); all are killed if one fails.

    Each may take up to ``timeout`` per server started: they share the CPU (a busy CI machine took over 20 s).
    """
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        starts = [pool.submit(server.start, timeout * len(servers)) for server in servers]
        errors = [start.exception() for start in starts]
    if any(errors):
        for server in servers:
            server.kill()
        raise next(error for error in errors if error is not None)
    return servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One server process configured by ``env`` alone: the ``BRIDGEWAY_*`` variables of the shell running the tests
    are dropped, so a test never depends on it (``BRIDGEWAY_X=1 pytest`` does not reach these servers)."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def command(self) -> list[str]:
        """How the server process is started (uvicorn as the benchmarks run it; subclasses start it otherwise)."""
        return [
            sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--ws", "websockets-sansio", "--loop", "uvloop", "--http", "httptools",
            "--ws-max-size", "65536", "--no-access-log", "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip

    def start(self, timeout: float = 20.0) -> Server:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
        environment.update(
            {
                "BRIDGEWAY_DATA_DIR": str(self.data_dir),
                "BRIDGEWAY_SECRET_KEY": "test-secret-key-for-bridgeway-tests",
                "BRIDGEWAY_TRANSLATION_BACKEND": "off",
                "BRIDGEWAY_BASE_URL": self.url,
                **self.env,
            }
        )
        self._close_log()
        self._log = open(self.data_dir / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(self.command(), env=environment, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        # One client for all the polls: each `httpx.get` builds a client and its TLS context, ~30 ms of CPU, so
        # polling every 20 ms that way kept a core busy while the server being waited for started up.
        with httpx.Client(timeout=1, verify=False) as poll:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_text()[-2000:]}")
                try:
                    if poll.get(self.url + "/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)  # a refused connection costs next to nothing; every server start waits here
        log = self.log_text()[-2000:]
        self.kill()  # a server that never became healthy must not outlive the test (it held ports and CPU)
        raise RuntimeError(f"server did not become healthy in {timeout:.0f} s: {log}")

    def log_text(self) -> str:
        path = self.data_dir / f"server-{self.port}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(20)
        self._close_log()
        return code

    def join(self, code: str, name: str) -> dict[str, object]:
        response = httpx.post(self.url + "/api/join", json={"code": code, "name": name}, timeout=10)
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        return body
