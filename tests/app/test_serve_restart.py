"""`bridgeway serve` as an operator runs it: a restart right after a stop works, a failed start changes nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from app.db import make_engine
from app.models import User
from tests.support.server import free_port

STARTUP = 30.0


def _serve(data_dir: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    environment.update({"BRIDGEWAY_DATA_DIR": str(data_dir), "BRIDGEWAY_TRANSLATION_BACKEND": "off"})
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *extra],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not become healthy")


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # Ctrl+C, as an operator stops it
    output, _ = process.communicate(timeout=20)
    return output


def _keep_alive_client(port: int) -> socket.socket:
    """A client with an open keep-alive connection: the stopping server closes it, leaving it in TIME_WAIT."""
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert client.recv(4096).startswith(b"HTTP/1.1 200")
    return client


def test_serve_restarts_at_once_on_the_same_port_after_a_stop(tmp_path: Path) -> None:
    port = free_port()
    first = _serve(tmp_path, port)
    try:
        _wait_healthy(first, port)
        client = _keep_alive_client(port)
    finally:
        _stop(first)
    while client.recv(4096):  # read to the server's FIN, then close cleanly: the server's side is now in TIME_WAIT
        pass
    client.close()
    second = _serve(tmp_path, port)  # at once: the first server's connections are still in TIME_WAIT
    try:
        _wait_healthy(second, port)
    finally:
        output = _stop(second)
    assert "already in use" not in output


def _password_hashes(data_dir: Path) -> dict[str, str]:
    engine = make_engine(f"sqlite:///{data_dir / 'bridgeway.db'}")
    with Session(engine) as db:
        hashes = {user.username: user.password_hash for user in db.exec(select(User))}
    engine.dispose()
    return hashes


def test_serve_demo_on_a_port_in_use_changes_nothing(tmp_path: Path) -> None:
    port = free_port()
    first = _serve(tmp_path, port, "--demo")
    try:
        _wait_healthy(first, port)
        before = _password_hashes(tmp_path)
        assert set(before) == {"coordinator-gb", "coordinator-es", "facilitator"}
        second = _serve(tmp_path, port, "--demo")  # the first one still listens
        output = second.communicate(timeout=60)[0]
    finally:
        _stop(first)
    assert second.returncode == 1
    assert output.strip() == (
        f"bridgeway: error: port {port} on 127.0.0.1 is already in use: stop the other server or pass --port"
    )
    assert _password_hashes(tmp_path) == before  # no passwords printed, none changed
