"""Over real uvicorn: long rooms are caught up in pages, before any live frame, from any position, each once."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from app.db import make_engine
from rooms.feed import CATCH_UP_LIMIT
from rooms.models import Message, Room
from tests.conftest import make_settings
from tests.delivery.client import Reader
from tests.faults.peers import seed
from tests.support.server import Server

ROOM_SIZE = 2000


ENV = {
    "BRIDGEWAY_MESSAGE_RATE": "100000/second",
    "BRIDGEWAY_MODERATION_FLOOD_MESSAGES": "100000",
    # Each test seats a new pair in a new room of this module's server; earlier pairs' rooms stay as they were
    # (nobody in them comes back within the grace) rather than closing while later tests run.
    "BRIDGEWAY_RECONNECT_GRACE_SECONDS": "600",
}
_pairs = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module (a start was most of each test's time); the tests share nothing but it."""
    data_dir = tmp_path_factory.mktemp("catch-up")
    seed(data_dir)
    srv = Server(data_dir, env=ENV).start()
    yield srv
    srv.kill()


@pytest.fixture
def pair(server: Server) -> Iterator[tuple[Reader, Reader]]:
    n = next(_pairs)
    alice = Reader(server.ws_url, str(server.join("RIVER9", f"Alice {n}")["token"]))
    bruno = Reader(server.ws_url, str(server.join("CERVA3", f"Bruno {n}")["token"]))
    try:
        alice.connect()
        bruno.connect()
        alice.until("paired")
        bruno.until("paired")
        yield alice, bruno
    finally:
        alice.close()
        bruno.close()


def _fill(server: Server, count: int) -> int:
    """Store ``count`` messages straight into the pair's room, the newest one (faster than sending); return its id."""
    engine = make_engine(make_settings(server.data_dir).database_url)
    try:
        with Session(engine) as db:
            room = db.exec(select(Room).order_by(col(Room.id).desc())).first()
            assert room is not None
            assert room.id is not None
            db.add_all(
                Message(room_id=room.id, participant_id=None, client_msg_id=None, text=f"m{i}") for i in range(count)
            )
            db.commit()
            return room.id
    finally:
        engine.dispose()


def _seqs(reader: Reader) -> list[int]:
    return [m["seq"] for m in reader.messages]


def test_catch_up_of_a_long_room_arrives_whole_in_order_before_live_messages(
    server: Server, pair: tuple[Reader, Reader]
) -> None:
    alice, bruno = pair
    _fill(server, ROOM_SIZE)
    bruno.close()
    bruno.messages.clear()
    bruno.connect(last_seq=0)
    for i in range(20):  # live messages race the catch-up
        alice.send(f"live{i}", f"live{i}")
    resumed = bruno.until("resumed", timeout=30)
    bruno.until_text("live19")
    assert _seqs(bruno) == list(range(1, ROOM_SIZE + 21))  # every position once, in order, none overtaking
    assert resumed["last_seq"] == bruno.messages[-1]["seq"] or resumed["last_seq"] >= ROOM_SIZE
    assert bruno.ws is not None
    bruno.ws.ping().wait(5)  # still open: a well-behaved reader is never closed as a slow consumer


@pytest.mark.parametrize(
    "position", [0, 1, 777, ROOM_SIZE - 1, ROOM_SIZE], ids=["start", "one", "middle", "last-but-one", "end"]
)
def test_resume_from_a_position_sends_each_later_message_once(
    server: Server, pair: tuple[Reader, Reader], position: int
) -> None:
    _, bruno = pair
    _fill(server, ROOM_SIZE)
    bruno.close()
    bruno.messages.clear()
    bruno.connect(last_seq=position)
    resumed = bruno.until("resumed", timeout=30)
    assert _seqs(bruno) == list(range(position + 1, ROOM_SIZE + 1))
    assert resumed["last_seq"] == ROOM_SIZE


def test_resume_frame_on_an_open_socket_sends_only_what_the_socket_was_not_sent(
    server: Server, pair: tuple[Reader, Reader]
) -> None:
    alice, bruno = pair
    for i in range(5):
        alice.send(f"c{i}", f"c{i}")
    bruno.until_text("c1")
    assert bruno.ws is not None
    bruno.ws.send(json.dumps({"type": "resume", "last_seq": bruno.last_seq}))  # c2..c4 may still be in flight
    assert bruno.until("resumed")["last_seq"] >= 2
    bruno.until_text("c4")
    assert [m["text"] for m in bruno.messages] == [f"c{i}" for i in range(5)]  # each once, in order


def test_catch_up_starts_at_most_the_limit_before_the_newest(server: Server, pair: tuple[Reader, Reader]) -> None:
    _, bruno = pair
    _fill(server, CATCH_UP_LIMIT + 10)
    bruno.close()
    bruno.messages.clear()
    bruno.connect(last_seq=0)
    resumed = bruno.until("resumed", timeout=60)
    assert _seqs(bruno) == list(range(11, CATCH_UP_LIMIT + 11))
    assert resumed["last_seq"] == CATCH_UP_LIMIT + 10
