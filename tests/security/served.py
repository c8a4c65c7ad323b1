"""``bridgeway serve --demo`` as an operator starts it (not bare uvicorn), for tests of its network settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.server import Server


@dataclass
class ServedByCli(Server):
    def start(self, timeout: float = 30.0) -> ServedByCli:
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
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--demo", "--host", "127.0.0.1", "--port", str(self.port)],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy: {self.log_text()[-2000:]}")


@contextmanager
def served(data_dir: Path, **env: str) -> Iterator[ServedByCli]:
    server = ServedByCli(data_dir, env={f"BRIDGEWAY_{k.upper()}": v for k, v in env.items()}).start()
    try:
        yield server
    finally:
        server.kill()
