"""A stream of arrivals through the real lobby: passes over odd pools leave nobody to the cross-country wait."""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.settings import Settings
from rooms.models import Participant, ParticipantStatus, RoomMember
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.students import hello, join, until

CROSS_WAIT = 6.0


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    # Passes only when students arrive (no scheduler pass in between), so each group below is one pass.
    return make_settings(tmp_path, cross_country_wait_seconds=CROSS_WAIT, scheduler_interval=60.0)


def test_alternating_arrivals_in_odd_passes_are_all_paired_across_countries_without_the_wait(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    # GB, ES, GB, ES ... arriving in passes of 3, 4 and 1: a room of three at the first pass would leave the last
    # student (ES) alone, waiting the cross-country wait for someone from GB.
    groups = [3, 4, 1]
    students = [join(client, "RIVER9" if n % 2 == 0 else "CERVA3", f"S{n}") for n in range(sum(groups))]
    start = time.monotonic()
    with ExitStack() as stack:
        sockets = []
        for count in groups:
            for student in students[len(sockets) : len(sockets) + count]:
                ws = stack.enter_context(client.websocket_connect("/ws"))
                hello(ws, student["token"])
                sockets.append(ws)
            time.sleep(0.6)  # the lobby's pass runs 0.2 s after the first of them
        for ws in sockets:
            until(ws, "paired")
        assert time.monotonic() - start < CROSS_WAIT - 1  # nobody waited for the cross-country wait
    with db(settings) as session:
        assert all(p.status != ParticipantStatus.WAITING for p in session.exec(select(Participant)))
        country = {p.id: p.country for p in session.exec(select(Participant))}
        rooms: dict[int, list[str]] = {}
        for seat in session.exec(select(RoomMember)):
            rooms.setdefault(seat.room_id, []).append(country[seat.participant_id])
    assert sorted(sorted(members) for members in rooms.values()) == [["ES", "GB"]] * 4
