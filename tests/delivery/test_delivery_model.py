"""Random schedules of sends, drops, reconnects and resumes against a real server: for every client, every
acknowledged message arrives, none twice, none out of order (docs/protocol.md "Delivery")."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.delivery.model import ModelClient
from tests.faults.peers import seed
from tests.support.server import Server

EXAMPLES = 12
STEPS = 30
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


class Classroom(RuleBasedStateMachine):
    """Two students in one room; each step one of them sends, drops, reconnects or resumes."""

    servers: ClassVar[list[Server]] = []

    def __init__(self) -> None:
        super().__init__()
        self.restarts = 0
        n = next(_names)
        first, second = self.servers[0], self.servers[-1]
        self.clients = [
            ModelClient(first.port, str(first.join("RIVER9", f"A{n}")["token"]), f"a{n}"),
            ModelClient(second.port, str(second.join("CERVA3", f"B{n}")["token"]), f"b{n}"),
        ]
        for client in self.clients:
            client.connect()
        for client in self.clients:
            client.until(lambda f: f.get("type") == "paired")

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
        if client.connected:
            client.resume()

    @precondition(lambda self: self.restarts < MAX_RESTARTS)
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
                client.until(lambda f, c=client: final <= set(c.received))
            acked = sorted(seq for c in self.clients for seq in c.acked.values())
            assert len(set(acked)) == len(acked)  # two messages never share a position
            for client in self.clients:
                assert client.received == acked, client.name  # all, once, in order
        finally:
            for client in self.clients:
                client.vanish()


def _run(servers: list[Server]) -> None:
    Classroom.servers = servers
    run_state_machine_as_test(
        Classroom,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


def test_delivery_model_on_sqlite_one_process(server: Server) -> None:
    _run([server])


@pytest.mark.postgres
@pytest.mark.redis
def test_delivery_model_on_postgres_and_redis_two_processes(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    seed(tmp_path, postgres_url)
    env = {**ENV, "BRIDGEWAY_DATABASE_URL": postgres_url, "BRIDGEWAY_BROKER_URL": redis_url}
    one = Server(tmp_path, env=env).start()
    two = Server(tmp_path, env=env).start()
    try:
        _run([one, two])
    finally:
        one.kill()
        two.kill()
