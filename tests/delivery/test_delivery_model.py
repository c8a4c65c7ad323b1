"""Random schedules of sends, drops, reconnects and resumes against a real server: for every client, every
acknowledged message arrives, none twice, none out of order (docs/protocol.md "Delivery")."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.conftest import LONG
from tests.delivery.model import ModelClient
from tests.faults.peers import seed
from tests.support.server import Server, start_together
from tests.support.tcpproxy import TcpProxy

EXAMPLES = 40 if LONG else 6  # schedules per run; each is new (no example database), so runs add up
STEPS = 30
FINAL_WAIT = 5.0  # for the last messages on localhost, which take milliseconds: a lost one fails the run sooner
RESUMES_PER_MINUTE = 10  # docs/protocol.md "Frame limits": each example's students are new and live under a minute
MAX_RESTARTS = 1  # a restart costs about a second
ENV = {
    "BRIDGEWAY_MESSAGE_RATE": "100000/second",
    "BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "100000",
    "BRIDGEWAY_MODERATION_HOOKS": '["length"]',
    "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "600",
    "BRIDGEWAY_REPAIR_GRACE_SECONDS": "600",
}
_names = itertools.count()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    seed(tmp_path)
    srv = Server(tmp_path, env=ENV).start()
    yield srv
    srv.kill()


def _join(server: Server, code: str, name: str) -> str:
    """Join, retrying while the join rate limiter's Redis connection recovers from a broker cut (HTTP 500 then)."""
    deadline = time.monotonic() + 10
    while True:
        response = httpx.post(server.url + "/api/join", json={"code": code, "name": name}, timeout=10)
        if response.status_code != 500 or time.monotonic() > deadline:
            assert response.status_code == 201, response.text
            return str(response.json()["token"])
        time.sleep(0.1)


class Classroom(RuleBasedStateMachine):
    """Two students in one room; each step one of them sends, drops, reconnects or resumes."""

    servers: ClassVar[list[Server]] = []
    broker: ClassVar[TcpProxy | None] = None  # between the servers and Redis, when there is one
    pairs: ClassVar[list[tuple[ModelClient, ModelClient]]] = []  # paired before any fault, one per example
    max_restarts: ClassVar[int] = MAX_RESTARTS

    def __init__(self) -> None:
        super().__init__()
        self.restarts = 0
        self.clients = list(self.pairs.pop() if self.pairs else _pair(self.servers))
        for client in self.clients:
            client.connect()

    who = st.integers(0, 1)

    @precondition(lambda self: any(c.connected for c in self.clients))
    @rule(who=who, burst=st.integers(1, 4))
    def send(self, who: int, burst: int) -> None:
        client = self.clients[who]
        if client.connected:
            for _ in range(burst):
                client.send()

    @rule(who=who, burst=st.integers(1, 4))
    def send_then_drop(self, who: int, burst: int) -> None:
        """Sends in flight (some mid-commit, acks unread) when the connection resets."""
        client = self.clients[who]
        if client.connected:
            for _ in range(burst):
                client.send(wait=False)
            client.vanish()

    @rule(who=who)
    def drop(self, who: int) -> None:
        self.clients[who].vanish()

    @rule(who=who, where=st.integers(0, 1))
    def reconnect(self, who: int, where: int) -> None:
        """Back on either process (with one process, the same one)."""
        client = self.clients[who]
        if not client.connected:
            client.connect(self.servers[where % len(self.servers)].port)

    @rule(who=who)
    def resume(self, who: int) -> None:
        client = self.clients[who]
        if client.connected and client.resumes < RESUMES_PER_MINUTE:  # a client keeps to the documented limit
            client.resume()

    @precondition(lambda self: self.restarts < self.max_restarts)
    @rule(where=st.integers(0, 1))
    def restart(self, where: int) -> None:
        """SIGKILL a server process mid-conversation and start it again; its clients lost their sockets."""
        self.restarts += 1
        server = self.servers[where % len(self.servers)]
        server.kill()
        for client in self.clients:
            if client.port == server.port:
                client.vanish()
        server.start()

    @precondition(lambda self: self.broker is not None)
    @rule(who=who, burst=st.integers(1, 4))
    def broker_cut(self, who: int, burst: int) -> None:
        """Redis unreachable while messages are sent (they are stored; only local sockets get them live)."""
        assert self.broker is not None
        self.broker.cut()
        try:
            client = self.clients[who]
            if client.connected:
                for _ in range(burst):
                    client.send()
        finally:
            self.broker.allow()

    @invariant()
    def stream_is_in_order_without_repeats(self) -> None:
        for client in self.clients:
            assert client.received == sorted(set(client.received)), client.name

    def teardown(self) -> None:
        """Everyone reconnects and retries; a last message each; then every client has every acked position."""
        try:
            for client in self.clients:
                if not client.connected:
                    client.connect()
            markers = [client.send() for client in self.clients]
            final = {client.acked[cid] for client, cid in zip(self.clients, markers, strict=True)}
            for client in self.clients:
                client.until(
                    lambda f, c=client: final <= set(c.received),
                    seconds=FINAL_WAIT,
                    what=f"final {final} got {client.received}",
                )
            acked = sorted(seq for c in self.clients for seq in c.acked.values())
            assert len(set(acked)) == len(acked)  # two messages never share a position
            for client in self.clients:
                assert client.received == acked, client.name  # all, once, in order
        finally:
            for client in self.clients:
                client.vanish()


def _pair(servers: list[Server]) -> tuple[ModelClient, ModelClient]:
    """Two students seated in one room (on the first and the last process), then disconnected."""
    n = next(_names)
    first, second = servers[0], servers[-1]
    pair = (
        ModelClient(first.port, _join(first, "RIVER9", f"A{n}"), f"a{n}"),
        ModelClient(second.port, _join(second, "CERVA3", f"B{n}"), f"b{n}"),
    )
    for client in pair:
        client.connect()
    for client in pair:
        client.until(lambda f: f.get("type") == "paired", what="paired")
        client.vanish()
    return pair


def _run(servers: list[Server], broker: TcpProxy | None = None, restarts: int = MAX_RESTARTS) -> None:
    # Pairing is the lobby's business (and its own tests'): rooms are formed before faults start, so a schedule
    # tests delivery only. Each example takes a fresh room; its students reconnect within the grace.
    Classroom.servers, Classroom.broker, Classroom.max_restarts = servers, broker, restarts
    Classroom.pairs = [_pair(servers) for _ in range(EXAMPLES + 4)]
    run_state_machine_as_test(
        Classroom,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each failing run costs waits
        ),
    )


def test_delivery_model_on_sqlite_one_process(server: Server) -> None:
    _run([server])


@pytest.mark.postgres
@pytest.mark.redis
def test_delivery_model_on_postgres_and_redis_two_processes(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    seed(tmp_path, postgres_url)
    redis = urlsplit(redis_url)
    with TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379) as proxy:
        broker_url = f"redis://127.0.0.1:{proxy.port}{redis.path}"
        env = {**ENV, "BRIDGEWAY_DATABASE_URL": postgres_url, "BRIDGEWAY_BROKER_URL": broker_url}
        one, two = start_together(Server(tmp_path, env=env), Server(tmp_path, env=env))
        try:
            _run([one, two], proxy)
        finally:
            one.kill()
            two.kill()
