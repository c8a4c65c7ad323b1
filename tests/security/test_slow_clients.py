"""Slow clients cannot hold the server (finding 4): a deadline for the request head, a cap on connections.

Against ``bridgeway serve`` on 127.0.0.1 with raw sockets: half-sent heads, a slowloris that keeps
trickling bytes, and more connections than the cap.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.security.served import ServedByCli, served

HEAD_TIMEOUT = 1.0
CAP = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedByCli]:
    with served(tmp_path_factory.mktemp("slow"), header_timeout=str(HEAD_TIMEOUT), max_connections=str(CAP)) as s:
        yield s


def _half_open(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_half_sent_heads_are_closed_after_the_head_timeout(server: ServedByCli) -> None:
    socks = [_half_open(server.port) for _ in range(CAP // 2)]
    started = time.monotonic()
    try:
        assert all(_closed_by_server(s, HEAD_TIMEOUT + 3) for s in socks)
        assert time.monotonic() - started < HEAD_TIMEOUT + 3
    finally:
        for s in socks:
            s.close()
    assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def _trickle_until_closed(sock: socket.socket, deadline: float) -> bool:
    """Send a byte every 0.1 s; True once a write fails because the server closed the connection."""
    try:
        while time.monotonic() < deadline:
            sock.sendall(b"a")
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        return True
    return False


def test_a_trickling_head_is_closed_even_though_bytes_keep_arriving(server: ServedByCli) -> None:
    sock = _half_open(server.port)
    try:
        assert _trickle_until_closed(sock, time.monotonic() + HEAD_TIMEOUT + 3)
    finally:
        sock.close()


def test_connections_over_the_cap_are_refused_and_the_server_recovers(server: ServedByCli) -> None:
    socks = [_half_open(server.port) for _ in range(CAP + 10)]
    try:
        refused = sum(_closed_by_server(s, 0.5) for s in socks[CAP:])
        assert refused >= 10 - 1  # one slot may still be held by the previous test's closing connection
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 5
    while True:  # the held ones time out or close; then normal service resumes
        try:
            if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not recover after the connection flood"
        time.sleep(0.1)
