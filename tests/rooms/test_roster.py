"""A room's roster is read once and kept until a frame says someone came or left (from any process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.demo import DemoData
from app.models import SchoolClass
from app.settings import Settings
from rooms.broker.memory import MemoryBroker
from rooms.clock import utcnow
from rooms.connection import Connection
from rooms.database import Database
from rooms.hub import Hub
from rooms.models import Participant, Room, RoomMember
from rooms.notices import Notices
from rooms.roster import RoomRosters, Roster
from tests.support.db import db


async def _noop(_: str) -> None:
    return None


def _seat(session: Session, session_id: int, room_id: int, name: str, country: str) -> Participant:
    school_class = session.exec(select(SchoolClass)).first()
    assert school_class is not None
    assert school_class.id is not None
    student = Participant(
        session_id=session_id, class_id=school_class.id, display_name=name, country=country, token_nonce="n"
    )
    session.add(student)
    session.flush()
    assert student.id is not None
    session.add(RoomMember(room_id=room_id, participant_id=student.id))
    student.room_id = room_id
    session.commit()
    return student


@pytest.fixture
async def database(settings: Settings, demo: DemoData) -> AsyncIterator[Database]:
    database = Database(make_engine(settings.database_url))
    yield database
    database.dispose()


async def test_roster_is_kept_until_a_frame_says_the_room_changed(
    settings: Settings, demo: DemoData, database: Database
) -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    rosters = RoomRosters(database)
    hub.on_control(rosters.on_control)
    notices = Notices(hub)
    with db(settings) as session:
        room, other = Room(session_id=demo.session_id), Room(session_id=demo.session_id)
        session.add_all([room, other])
        session.commit()
        assert room.id is not None
        assert other.id is not None
        alice = _seat(session, demo.session_id, room.id, "Alice", "GB")
        bruno = _seat(session, demo.session_id, room.id, "Bruno", "ES")
    assert alice.id is not None
    assert bruno.id is not None
    member = Connection(_noop, session_id=demo.session_id, participant_id=alice.id, room_id=room.id)
    await hub.attach(member)

    assert (await rosters.get(room.id)).names == ("Alice", "Bruno")
    with db(settings) as session:
        carla = _seat(session, demo.session_id, room.id, "Carla", "FR")
    assert (await rosters.get(room.id)).names == ("Alice", "Bruno")  # no read per message
    await notices.presence(demo.session_id, other.id, 99, "left", "Zed")  # another room: this one is kept
    assert (await rosters.get(room.id)).names == ("Alice", "Bruno")

    with db(settings) as session:  # an arrival: every member of the room is sent its new member list
        members = [session.get(Participant, pid) for pid in (alice.id, bruno.id, carla.id)]
    await notices.seated(demo.session_id, room.id, [m for m in members if m is not None])
    roster = await rosters.get(room.id)
    assert roster.names == ("Alice", "Bruno", "Carla")
    assert roster.countries == ("ES", "FR", "GB")

    with db(settings) as session:  # a departure: the room is told by a presence frame
        seat = session.get(RoomMember, (room.id, bruno.id))
        assert seat is not None
        seat.left_at = utcnow()
        session.add(seat)
        session.commit()
    await notices.presence(demo.session_id, room.id, bruno.id, "left", "Bruno")
    assert (await rosters.get(room.id)).names == ("Alice", "Carla")
    await hub.stop()


async def test_roster_read_overlapping_a_change_is_not_kept(
    settings: Settings, demo: DemoData, database: Database
) -> None:
    rosters = RoomRosters(database)
    with db(settings) as session:
        room = Room(session_id=demo.session_id)
        session.add(room)
        session.commit()
        assert room.id is not None
        _seat(session, demo.session_id, room.id, "Alice", "GB")
    reading = asyncio.create_task(rosters.get(room.id))
    await asyncio.sleep(0)  # the read is under way in a worker thread
    rosters.changed(room.id)  # when a frame says the room changed: what the read returns may predate the change
    assert (await reading).names == ("Alice",)
    with db(settings) as session:
        _seat(session, demo.session_id, room.id, "Bruno", "ES")
    assert (await rosters.get(room.id)).names == ("Alice", "Bruno")


class _CountedDatabase(Database):
    """The real database, counting the reads that go through it."""

    reads = 0

    async def run(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.reads += 1
        return await super().run(fn, *args, **kwargs)


async def test_a_room_just_seated_is_known_from_its_paired_frame_without_a_read(
    settings: Settings, demo: DemoData
) -> None:
    """A burst forms a thousand rooms at once: their first messages must not each read their room back."""
    database = _CountedDatabase(make_engine(settings.database_url))
    hub = Hub(MemoryBroker())
    await hub.start()
    rosters = RoomRosters(database)
    hub.on_control(rosters.on_control)
    with db(settings) as session:
        room = Room(session_id=demo.session_id)
        session.add(room)
        session.commit()
        assert room.id is not None
        bruno = _seat(session, demo.session_id, room.id, "Bruno", "ES")
        alice = _seat(session, demo.session_id, room.id, "Alice", "GB")
        ana = _seat(session, demo.session_id, room.id, "Ana", "ES")
    assert alice.id is not None
    await hub.attach(Connection(_noop, session_id=demo.session_id, participant_id=alice.id, room_id=room.id))
    await Notices(hub).seated(demo.session_id, room.id, [ana, alice, bruno], seq=0)
    roster = await rosters.get(room.id)
    assert database.reads == 0
    assert roster == Roster(("Bruno", "Alice", "Ana"), ("ES", "GB"))  # the members in id order, as a read has them
    rosters.changed(room.id)
    assert await rosters.get(room.id) == roster  # the same as reading the room back
    assert database.reads == 1
    await hub.stop()
    database.dispose()
