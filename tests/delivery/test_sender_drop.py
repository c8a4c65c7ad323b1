"""Over real uvicorn: a message acknowledged to anyone reaches the partner exactly once, however the sender drops."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.abrupt import AbruptStudent
from tests.faults.peers import Peer, seed
from tests.support.server import Server

ROUNDS = 12
BURST = 4


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    seed(tmp_path)
    broker = request.getfixturevalue("redis_url") if request.param == "redis" else "memory://"
    srv = Server(
        tmp_path,
        env={
            "BRIDGEWAY_BROKER_URL": broker,
            "BRIDGEWAY_MESSAGE_RATE": "100000/second",
            "BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "100000",
            "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "30",
        },
    ).start()
    yield srv
    srv.kill()


def test_sender_drop_every_acked_message_reaches_the_partner_once(server: Server) -> None:
    alice = AbruptStudent(server.port, str(server.join("RIVER9", "Alice")["token"]))
    bruno = Peer(server, str(server.join("CERVA3", "Bruno")["token"]))
    try:
        alice.until("paired")
        bruno.first_of("paired")
        missing, twice = _drop_and_retry(alice, bruno)
    finally:
        alice.close()
        bruno.ws.close()
    assert (missing, twice) == ([], [])


def _drop_and_retry(alice: AbruptStudent, bruno: Peer) -> tuple[list[str], list[str]]:
    """Rounds of a burst then a reset then retries; (acked messages Bruno never got, those he got twice)."""
    acked: dict[str, int] = {}
    for r in range(ROUNDS):
        ids = [f"r{r}m{i}" for i in range(BURST)]
        for cid in ids:
            alice.send(cid, cid)
        alice.vanish()  # at once: some sends are mid-commit, some acks unread
        alice.reconnect()
        for cid in ids:  # the client retries everything it has no ack for (here: everything)
            alice.send(cid, cid)
        acked.update({cid: frame["id"] for cid, frame in alice.acks(ids).items() if frame["type"] == "ack"})
    assert len(acked) == ROUNDS * BURST, [f for f in alice.frames if f.get("type") == "error"][:3]
    last = f"r{ROUNDS}end"
    alice.send(last, last)
    alice.acks([last])
    received: Counter[str] = Counter()
    for _ in range(5 * ROUNDS * BURST):
        frame = bruno.first_of("message")
        received[frame["text"]] += 1
        if frame["text"] == last:
            break
    missing = sorted(set(acked) - set(received))
    twice = sorted(cid for cid, n in received.items() if n > 1)
    return missing, twice
