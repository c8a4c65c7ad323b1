"""The hub relays each message of a room to the members on this process exactly once."""

from __future__ import annotations

import asyncio

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
