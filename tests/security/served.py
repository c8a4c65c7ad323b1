"""``bridgeway serve --demo`` as an operator starts it (not bare uvicorn), for tests of its network settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import Server


@dataclass
class ServedByCli(Server):
    def command(self) -> list[str]:
        return [sys.executable, "-m", "app.cli", "serve", "--demo", "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self, timeout: float = 30.0) -> ServedByCli:
        super().start(timeout)  # `serve --demo` migrates and seeds first: it gets longer to become healthy
        return self


@contextmanager
def served(data_dir: Path, **env: str) -> Iterator[ServedByCli]:
    server = ServedByCli(data_dir, env={f"BRIDGEWAY_{k.upper()}": v for k, v in env.items()}).start()
    try:
        yield server
    finally:
        server.kill()
