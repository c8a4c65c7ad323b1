"""The hub relays each message of a room to the members on this process exactly once."""

from __future__ import annotations

from rooms.broker.memory import MemoryBroker
from rooms.connection import Connection
from rooms.hub import Hub


async def _noop(_: str) -> None:
    return None


async def test_hub_delivers_a_message_published_twice_only_once() -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    member = Connection(_noop, session_id=1, participant_id=7, room_id=3)
    await hub.attach(member)
    frame = {"type": "message", "id": 41, "room": 3, "text": "hi"}
    await hub.to_room(1, 3, frame)
    await hub.to_room(1, 3, frame)  # e.g. a publish retried after a timeout that had in fact gone through
    await hub.to_room(1, 3, {**frame, "id": 42})
    queued = [member._queue.get_nowait() for _ in range(member._queue.qsize())]
    assert [text for text in queued if isinstance(text, str) and '"id":4' in text] == [
        '{"type":"message","id":41,"room":3,"text":"hi"}',
        '{"type":"message","id":42,"room":3,"text":"hi"}',
    ]
    await hub.stop()


async def test_hub_forgets_seen_ids_when_the_room_has_no_members_here() -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    member = Connection(_noop, session_id=1, participant_id=7, room_id=3)
    await hub.attach(member)
    await hub.to_room(1, 3, {"type": "message", "id": 1, "room": 3, "text": "x"})
    await hub.detach(member)
    assert hub._seen == {}
    await hub.stop()
