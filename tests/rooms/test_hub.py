"""The hub relays each message of a room to the members on this process exactly once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from rooms.broker.memory import MemoryBroker
from rooms.broker.redis import RedisBroker
from rooms.connection import Connection
from rooms.hub import Hub
from tests.support.tcpproxy import TcpProxy
from tests.support.written import recording, taken


async def test_hub_delivers_a_message_published_twice_only_once() -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    member = recording(session_id=1, participant_id=7, room_id=3)
    await hub.attach(member)
    frame = {"type": "message", "id": 41, "room": 3, "text": "hi"}
    await hub.to_room(1, 3, frame)
    await hub.to_room(1, 3, frame)  # e.g. a publish retried after a timeout that had in fact gone through
    await hub.to_room(1, 3, {**frame, "id": 42})
    assert [text for text in taken(member) if '"id":4' in text] == [
        '{"type":"message","id":41,"room":3,"text":"hi"}',
        '{"type":"message","id":42,"room":3,"text":"hi"}',
    ]
    await hub.stop()


async def test_hub_forgets_seen_ids_when_the_room_has_no_members_here() -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    member = recording(session_id=1, participant_id=7, room_id=3)
    await hub.attach(member)
    await hub.to_room(1, 3, {"type": "message", "id": 1, "room": 3, "text": "x"})
    await hub.detach(member)
    assert hub._seen == {}
    await hub.stop()


@pytest.mark.redis
async def test_a_room_message_the_broker_refused_is_published_again_once_it_is_back(redis_url: str) -> None:
    """Two processes on Redis; the sender's link to Redis is cut while it publishes a message. Its own members got
    it locally; the other process's member gets it live once the link is back, with no later message needed."""
    host, _, port = redis_url.split("//", 1)[1].split("/", 1)[0].partition(":")
    with TcpProxy(host, int(port or 6379)) as proxy:
        sender = Hub(RedisBroker(f"redis://127.0.0.1:{proxy.port}/{redis_url.rsplit('/', 1)[1]}", retry_delay=0.05))
        receiver = Hub(RedisBroker(redis_url))
        heard: list[str] = []
        got_it = asyncio.Event()

        async def record(text: str) -> None:
            heard.append(text)
            if "during the cut" in text:
                got_it.set()

        member = Connection(record, session_id=1, participant_id=8, room_id=3)
        pump = asyncio.create_task(member.pump())
        await sender.start()
        await receiver.start()
        try:
            await sender.retain_session(1)
            await receiver.attach(member)
            proxy.cut()
            # The hub owns the outage: the call returns (no caller has anything to do about it) and holds the message.
            await sender.to_room(1, 3, {"type": "message", "id": 5, "seq": 1, "room": 3, "text": "during the cut"})
            assert sender.unpublished == 1
            proxy.allow()
            async with asyncio.timeout(10):
                await got_it.wait()
            async with asyncio.timeout(5):
                while sender.unpublished:  # noqa: ASYNC110 - a counter with nothing to wait on
                    await asyncio.sleep(0.02)
            assert sum("during the cut" in text for text in heard) == 1
        finally:
            member.close(1000, "done")
            pump.cancel()
            await sender.stop()
            await receiver.stop()


async def test_hub_routes_by_header_whatever_the_frame_key_order() -> None:
    """The id is read from the payload header, not from the JSON text, so a frame built with another key order is
    still recognised as a message and kept once."""
    hub = Hub(MemoryBroker())
    await hub.start()
    member = recording(session_id=1, participant_id=7, room_id=3)
    await hub.attach(member)
    frame = {"room": 3, "text": "hi", "id": 44, "type": "message"}
    await hub.to_room(1, 3, frame)
    await hub.to_room(1, 3, frame)
    assert [text for text in taken(member) if '"id":44' in text] == ['{"room":3,"text":"hi","id":44,"type":"message"}']
    await hub.stop()


class _RemoteMemoryBroker:
    """The in-process broker seen as any other: the hub writes each payload and reads it back (the Redis path)."""

    def __init__(self) -> None:
        self.inner = MemoryBroker()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


_ROUTED = [
    ("r3", {"type": "message", "id": 50, "seq": 2, "room": 3, "text": "hi"}),
    ("r3", {"type": "message", "id": 50, "seq": 2, "room": 3, "text": "hi"}),  # the same message again: kept once
    ("r3", {"type": "message", "id": 51, "seq": None, "room": 3, "text": "no position"}),
    ("r3", {"type": "translation", "seq": 2, "room": 3, "text": "salut"}),
    ("r3", {"type": "typing", "room": 3, "from": 7}),
    ("r3", {"type": "presence", "room": 3, "participant": 8, "state": "away"}),
    ("r4", {"type": "message", "id": 60, "seq": 1, "room": 4, "text": "elsewhere"}),
    ("p7", {"type": "event", "event": "warned", "text": "careful"}),
    ("p9", {"type": "event", "event": "warned", "text": "not here"}),
    ("w", {"type": "student", "student": {"id": 7}}),
    ("a", {"type": "event", "event": "paused"}),
]


@pytest.mark.parametrize("broker_kind", ["in-process", "through-payloads"])
async def test_hub_routes_each_target_the_same_with_or_without_a_payload(broker_kind: str) -> None:
    """The in-process broker's frames skip the payload (header and JSON written, then read back): every target and
    kind of frame must still reach exactly the sockets, in the order, that a payload reaches."""
    broker: Any = MemoryBroker() if broker_kind == "in-process" else _RemoteMemoryBroker()
    hub = Hub(broker)
    offered: list[tuple[int, int, str]] = []
    followed: list[tuple[int, int, str]] = []
    hub.on_room_message(lambda conn, room, seq, text: offered.append((conn.participant_id or 0, seq, text)))
    hub.on_room_follow_up(lambda conn, room, seq, text: followed.append((conn.participant_id or 0, seq, text)))
    await hub.start()
    member = recording(session_id=1, participant_id=7, room_id=3)
    watcher = recording(session_id=1, user_id=1)
    other_session = recording(session_id=2, participant_id=11, room_id=9)
    for conn in (member, watcher, other_session):
        await hub.attach(conn)
    for target, frame in _ROUTED:
        await hub.publish(1, target, frame)
    await hub.publish(5, "a", {"type": "event", "event": "nobody subscribed"})
    await asyncio.sleep(0)
    hi = '{"type":"message","id":50,"seq":2,"room":3,"text":"hi"}'
    assert offered == [(7, 2, hi), (7, 2, hi)]  # each copy: the feed keeps a socket's position and drops the repeat
    assert followed == [(7, 2, '{"type":"translation","seq":2,"room":3,"text":"salut"}')]
    assert [json.loads(text).get("text") or json.loads(text)["type"] for text in taken(member)] == [
        "no position",
        "typing",
        "presence",
        "careful",
        "event",
    ]
    assert [json.loads(text).get("text") or json.loads(text)["type"] for text in taken(watcher)] == [
        "hi",
        "no position",
        "salut",
        "typing",
        "presence",
        "elsewhere",
        "student",
        "event",
    ]
    assert taken(other_session) == []
    await hub.stop()


async def test_hub_on_a_stopped_in_process_broker_delivers_nothing() -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    member = recording(session_id=1, participant_id=7, room_id=3)
    await hub.attach(member)
    await hub.stop()
    await hub.to_room(1, 3, {"type": "typing", "room": 3, "from": 8})
    await asyncio.sleep(0)
    assert taken(member) == []
