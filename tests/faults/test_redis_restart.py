"""Redis restarted under two Bridgeway processes: fan-out recovers by itself and nothing acked is lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.faults.peers import Peer, pair, seed
from tests.support.redis_server import RedisProcess
from tests.support.server import Server, start_together

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Cluster:
    redis: RedisProcess
    one: Server
    two: Server
    alice: Peer  # on process one
    bruno: Peer  # on process two


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[Cluster]:
    """Two processes on PostgreSQL and our own Redis; Alice on one, Bruno on two, paired and chatting."""
    own = RedisProcess(tmp_path)
    own.start()
    seed(tmp_path, postgres_url)
    env = {
        "BRIDGEWAY_DATABASE_URL": postgres_url,
        "BRIDGEWAY_BROKER_URL": own.url,
        "BRIDGEWAY_MESSAGE_RATE": "1000/second",
    }
    one, two = start_together(Server(tmp_path, env=env), Server(tmp_path, env=env))
    try:
        alice, bruno = pair(one, two)
        assert alice.post("r0", "before the restart")["type"] == "ack"
        assert bruno.first_of("message")["text"] == "before the restart"
        yield Cluster(own, one, two, alice, bruno)
    finally:
        one.kill()
        two.kill()
        own.kill()


def _restart_redis(c: Cluster) -> dict[str, object]:
    """Kill Redis, send while it is down (acked: stored), start it again on the same port; return that ack."""
    c.redis.kill()
    for peer in (c.alice, c.bruno):
        assert peer.first_of("event")["event"] == "broker_unavailable"
    assert httpx.get(c.one.url + "/healthz", timeout=10).status_code == 503
    during = c.alice.post("r1", "while redis is down")
    assert during["type"] == "ack", during  # the database is up: only live fan-out is interrupted
    c.redis.start()
    for peer in (c.alice, c.bruno):
        assert peer.first_of("event")["event"] == "broker_restored"
    return during


def _resume(peer: Peer, last_id: int) -> list[dict[str, object]]:
    """Ask for every message after ``last_id``; return the catch-up frames (up to ``resumed``)."""
    peer.ws.send(json.dumps({"type": "resume", "last_id": last_id}))
    start = len(peer.frames)
    peer.first_of("resumed")
    return [f for f in peer.frames[start:] if f["type"] == "message"]


def _texts(peer: Peer) -> set[str]:
    return {str(f["text"]) for f in peer.frames if f["type"] == "message"}


def test_redis_restart_recovers_fan_out_and_keeps_acked_messages(cluster: Cluster) -> None:
    alice, bruno = cluster.alice, cluster.bruno
    mark = bruno.last_id  # the id of "before the restart": what both clients had before the outage
    _restart_redis(cluster)
    # Live fan-out across the two processes comes back in both directions without anyone reconnecting ...
    there = [f"after the restart {i}" for i in range(3)]
    back = [f"and back {i}" for i in range(3)]
    assert all(alice.post(f"a{i}", text)["type"] == "ack" for i, text in enumerate(there))
    assert all(bruno.message(text)["from"]["name"] == "Alice" for text in there)
    assert all(bruno.post(f"b{i}", text)["type"] == "ack" for i, text in enumerate(back))
    assert all(alice.message(text)["from"]["name"] == "Bruno" for text in back)
    bruno.message(back[-1])  # his own copy: nothing live is still in flight
    assert httpx.get(cluster.two.url + "/healthz", timeout=10).status_code == 200
    # ... each client got every message once and in order, the outage one too (the server re-read it for Bruno's
    # socket when Redis came back), and resuming from before the outage on the open socket sends nothing twice.
    everything = ["before the restart", "while redis is down", *there, *back]
    for peer in (alice, bruno):
        assert _resume(peer, mark) == []
        got = [f for f in peer.frames if f["type"] == "message"]
        assert [f["text"] for f in got] == everything
        assert [f["seq"] for f in got] == sorted({f["seq"] for f in got})


def test_redis_restart_first_message_after_recovery_is_fanned_out_live(cluster: Cluster) -> None:
    """Regression: the first publish after a restart used to fail on a stale pooled Redis connection."""
    _restart_redis(cluster)
    # The post-outage replay re-reads the room for Bruno's socket: once it brought him the outage message, only
    # live fan-out can bring the next one.
    cluster.bruno.message("while redis is down")
    after = cluster.alice.post("r2", "first after the restart")
    assert after["type"] == "ack"
    got = cluster.bruno.message("first after the restart", timeout=3)
    assert got["id"] == after["id"]


def test_redis_restart_outage_message_reaches_a_client_resuming_from_its_last_id(cluster: Cluster) -> None:
    """Regression: a message stored during the outage was lost for a client whose highest id overtook it."""
    alice, bruno = cluster.alice, cluster.bruno
    _restart_redis(cluster)
    for i in range(3):
        assert alice.post(f"a{i}", f"after {i}")["type"] == "ack"
    bruno.message("after 2")
    _resume(bruno, bruno.last_id)  # what docs/protocol.md tells a client to do
    assert "while redis is down" in _texts(bruno)


def test_students_can_still_join_while_redis_is_down(cluster: Cluster) -> None:
    """Regression: the join rate limits live in the broker's Redis, and a Redis blip answered /api/join with 500.
    While it is down each process counts joins on its own (the limits still hold there) and a class keeps joining."""
    cluster.redis.kill()
    try:
        for i, server in enumerate((cluster.one, cluster.two)):
            response = httpx.post(server.url + "/api/join", json={"code": "RIVER9", "name": f"Late{i}"}, timeout=15)
            assert response.status_code == 201, response.text
        wrong = httpx.post(cluster.one.url + "/api/join", json={"code": "WRONG1", "name": "Guess"}, timeout=15)
        assert wrong.status_code in (400, 404), wrong.text  # still checked, still a clear answer
    finally:
        cluster.redis.start()
