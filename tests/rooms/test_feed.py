"""The room feed puts live frames in position order; a gap first waits briefly for the frame still on its way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.db import make_engine
from app.settings import Settings
from rooms.connection import Connection
from rooms.database import Database
from rooms.feed import GAP_WAIT, RoomFeed
from rooms.tasks import Tasks
from tests.support.written import recording, taken


@pytest.fixture
async def feed(settings: Settings) -> AsyncIterator[RoomFeed]:
    tasks = Tasks()
    yield RoomFeed(Database(make_engine(settings.database_url)), None, tasks)
    await tasks.aclose()


@pytest.fixture
def conn() -> Connection:
    """A student socket of room 3."""
    return recording(session_id=1, participant_id=7, room_id=3)


async def test_a_frame_past_a_gap_waits_for_the_missing_one_instead_of_reading_the_database(
    feed: RoomFeed, conn: Connection
) -> None:
    """Two senders of a room on two processes: each process delivers its own at once, so position 2 can be here
    before position 1. The room here has no stored messages: a database read would send neither (the catch-up
    finds nothing and live frames are not queued while it runs), so both arriving in order shows none was made."""
    feed.offer(conn, 3, 5, "five")  # seated while connected: the feed starts here
    feed.offer(conn, 3, 7, "seven")
    feed.offer(conn, 3, 8, "eight")
    assert taken(conn) == ["five"]
    feed.offer(conn, 3, 6, "six")
    assert taken(conn) == ["six", "seven", "eight"]
    await asyncio.sleep(GAP_WAIT * 2)
    feed.offer(conn, 3, 9, "nine")
    assert taken(conn) == ["nine"]


async def test_a_gap_that_stays_open_is_read_from_the_database(feed: RoomFeed, conn: Connection) -> None:
    feed.offer(conn, 3, 5, "five")
    feed.offer(conn, 3, 7, "seven")  # position 6 never comes (published by a process that died, say)
    await asyncio.sleep(GAP_WAIT * 4)  # the catch-up read the (empty) room up to 7: 7 is not sent twice
    feed.offer(conn, 3, 7, "seven again")
    feed.offer(conn, 3, 8, "eight")
    assert taken(conn) == ["five", "eight"]


async def test_a_socket_seated_in_a_new_room_starts_at_its_first_position_not_its_first_live_frame(
    feed: RoomFeed,
) -> None:
    """Two members on two processes write at once in a room just formed: this process can get the room's second
    message (its own member's) before the first. Started at the first live frame the socket would never get the
    first; started where ``paired`` says (0), the second waits for it."""
    conn = recording(session_id=1, participant_id=7)  # not seated yet
    feed.on_control(conn, {"type": "paired", "room": {"id": 3, "members": [], "slow_mode": 0, "seq": 0}})
    feed.offer(conn, 3, 2, "second")
    feed.offer(conn, 3, 1, "first")
    assert taken(conn) == ["first", "second"]
    feed.on_control(conn, {"type": "paired", "room": {"id": 3, "members": [], "slow_mode": 0}})  # someone added
    feed.offer(conn, 3, 3, "third")
    assert taken(conn) == ["third"]


async def test_a_translation_never_overtakes_its_message(feed: RoomFeed, conn: Connection) -> None:
    """A message held by moderation leaves its position unpublished, so the next message waits in the gap; its
    translation, published right after it, used to reach the partner first (seen in CI)."""
    feed.offer(conn, 3, 5, "five")
    feed.follow(conn, 3, 5, "five translated")  # its message was sent: at once
    feed.offer(conn, 3, 7, "seven")  # 6 is still on its way
    feed.follow(conn, 3, 7, "seven translated")
    assert taken(conn) == ["five", "five translated"]
    feed.offer(conn, 3, 6, "six")
    assert taken(conn) == ["six", "seven", "seven translated"]


async def test_a_translation_waits_for_a_gap_read_from_the_database(feed: RoomFeed, conn: Connection) -> None:
    feed.offer(conn, 3, 5, "five")
    feed.offer(conn, 3, 7, "seven")  # 6 never comes: the feed reads the (empty) room up to 7
    feed.follow(conn, 3, 7, "seven translated")
    assert taken(conn) == ["five"]
    await asyncio.sleep(GAP_WAIT * 4)
    assert taken(conn) == ["seven translated"]  # after the read that covered position 7, never before it
