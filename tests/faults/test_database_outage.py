"""PostgreSQL unreachable for a while (a TCP proxy cut between Bridgeway and the database): nothing acked is lost."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.db import make_engine
from tests.conftest import POSTGRES_URL
from tests.faults.peers import pair, seed
from tests.support.server import Server
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.postgres


def _health(server: Server) -> int:
    return httpx.get(server.url + "/healthz", timeout=15).status_code


def _wait_health(server: Server, status: int, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if _health(server) == status:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"/healthz never answered {status}")


def _stored(database_url: str, client_id: str) -> list[tuple[int, str]]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, text FROM message WHERE client_msg_id = :c"), {"c": client_id}).all()
    engine.dispose()
    return [(row[0], row[1]) for row in rows]


def test_database_outage_refuses_sends_then_recovers_exactly_once(tmp_path: Path, postgres_url: str) -> None:
    seed(tmp_path, postgres_url)
    host_port = POSTGRES_URL.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    with TcpProxy(host, int(port)) as proxy:
        proxied = postgres_url.replace(host_port, f"127.0.0.1:{proxy.port}")
        server = Server(
            tmp_path,
            env={"BRIDGEWAY_DATABASE_URL": proxied, "BRIDGEWAY_MESSAGE_RATE": "1000/second"},
        ).start()
        try:
            alice, bruno = pair(server)
            assert alice.post("before", "before the outage")["type"] == "ack"
            assert bruno.first_of("message")["text"] == "before the outage"

            proxy.cut()
            answer = alice.post("during", "while the database is away")
            assert answer["type"] == "error", answer
            assert answer["code"] == "unavailable"
            assert not [f for f in alice.frames if f["type"] == "ack" and f.get("client_id") == "during"]
            assert _health(server) == 503
            assert _stored(postgres_url, "during") == []  # refused, and really not stored

            proxy.allow()
            recovered_after = _wait_health(server, 200)
            retry = alice.post("during", "while the database is away")
            assert retry["type"] == "ack", retry
            assert bruno.first_of("message")["text"] == "while the database is away"
            again = alice.post("during", "while the database is away")  # a second retry is a duplicate
            assert again["type"] == "ack"
            assert again["id"] == retry["id"]
            assert _stored(postgres_url, "during") == [(retry["id"], "while the database is away")]
            assert recovered_after < 30
        finally:
            server.kill()
