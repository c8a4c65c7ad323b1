"""Pairing from the console: pair now, re-pair everyone, move a student (and re-pair the partner)."""

from __future__ import annotations

from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.settings import Settings
from rooms.models import (
    Participant,
    ParticipantStatus,
    Room,
    RoomStatus,
)
from tests.app.facilitation.steps import post
from tests.support.db import audit_rows, db
from tests.support.students import hello, join, paired_pair, until


def test_pair_now_pairs_waiting_students(client: TestClient, csrf: str, demo: DemoData, settings: Settings) -> None:
    join(client, "RIVER9", "Wait1")
    join(client, "CERVA3", "Wait2")
    with db(settings) as session:  # connected students waiting in the lobby, not yet paired automatically
        for participant in session.exec(select(Participant)):
            participant.status = ParticipantStatus.WAITING
            session.add(participant)
        session.commit()
    response = post(client, f"/facilitate/{demo.session_id}/pair", csrf)
    assert response.status_code == 200
    (room_id,) = response.json()["rooms"]
    with db(settings) as session:
        rooms = {p.room_id for p in session.exec(select(Participant))}
    assert rooms == {room_id}
    assert len(audit_rows(settings, "pair_now")) == 1


def test_repair_closes_rooms_and_pairs_everyone_again(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings
) -> None:
    with paired_pair(client) as (a, b, room, _alice, _bruno):
        response = post(client, f"/facilitate/{demo.session_id}/repair", csrf)
        assert until(a, "event")["event"] == "repairing"
        new_room = until(a, "paired")["room"]["id"]
        assert until(b, "paired")["room"]["id"] == new_room
    assert response.json()["closed"] == [room]
    assert new_room != room
    with db(settings) as session:
        old = session.get(Room, room)
    assert old is not None
    assert old.status == RoomStatus.CLOSED


def test_move_puts_a_student_in_another_room_and_repairs_the_partner(
    client: TestClient, csrf: str, demo: DemoData, settings: Settings
) -> None:
    people = [("RIVER9", "A1"), ("CERVA3", "B1"), ("RIVER9", "A2"), ("CERVA3", "B2")]
    tokens = [join(client, code, name)["token"] for code, name in people]
    with (
        client.websocket_connect("/ws") as s1,
        client.websocket_connect("/ws") as s2,
        client.websocket_connect("/ws") as s3,
        client.websocket_connect("/ws") as s4,
    ):
        sockets = [s1, s2, s3, s4]
        ids = [hello(ws, token)["participant"]["id"] for ws, token in zip(sockets, tokens, strict=True)]
        rooms = [until(ws, "paired")["room"] for ws in sockets]
        mover, source = ids[0], rooms[0]["id"]
        partner = next(ws for ws, r, pid in zip(sockets, rooms, ids, strict=True) if r["id"] == source and pid != mover)
        target = next(r["id"] for r in rooms if r["id"] != source)
        response = post(client, f"/facilitate/{demo.session_id}/move", csrf, participant_id=mover, room_id=target)
        assert response.status_code == 200, response.text
        assert until(s1, "event")["event"] == "moved_out"
        assert until(s1, "paired")["room"]["id"] == target
        told = until(partner, "event")
        assert (told["event"], told["participant"]) == ("partner_moved", mover)  # said why, before the re-pair
        assert until(partner, "event")["event"] == "repairing"
    with db(settings) as session:
        moved = session.get(Participant, mover)
    assert moved is not None
    assert moved.room_id == target
    assert len(audit_rows(settings, "move")) == 1
    again = post(client, f"/facilitate/{demo.session_id}/move", csrf, participant_id=mover, room_id=target)
    assert again.status_code == 409
