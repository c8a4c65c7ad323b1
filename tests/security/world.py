"""A populated test world for the security tests: demo data, an admin, students in a room, and route ids."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.models import Exchange, Role, SchoolClass, User
from app.security import hash_password
from app.settings import Settings
from rooms.models import Message, Participant, Room
from tests.support.db import db

ADMIN, PASSWORD = "admin-fuzz", "correct horse battery staple"
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass
class World:
    """Real ids for every kind of path parameter, so requests get past the 404s into the handlers."""

    ids: dict[str, list[int]] = field(default_factory=dict)

    def fill(self, path: str, pick: int = 0) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(1) == "token":
                return "not-a-token"
            choices = [*self.ids.get(match.group(1), [1]), 0, 999_999]
            return str(choices[pick % len(choices)])

        return _PARAM.sub(one, path)


def add_admin(settings: Settings) -> None:
    with db(settings) as session:
        session.add(User(username=ADMIN, display_name="Admin", password_hash=hash_password(PASSWORD), role=Role.ADMIN))
        session.commit()


def build_world(client: TestClient, demo: DemoData, settings: Settings) -> World:
    """Two students chat once (so rooms, participants and messages exist), then collect every kind of id."""
    from tests.support.students import hello, join, send, until

    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        until(a, "paired")
        send(a, "w1", "hello")
        until(a, "ack")
    with db(settings) as session:
        return World(
            ids={
                "school_id": list(demo.school_ids),
                "class_id": [c.id for c in session.exec(select(SchoolClass)) if c.id is not None],
                "exchange_id": [e.id for e in session.exec(select(Exchange)) if e.id is not None],
                "session_id": [demo.session_id],
                "participant_id": [p.id for p in session.exec(select(Participant)) if p.id is not None],
                "message_id": [m.id for m in session.exec(select(Message)) if m.id is not None],
                "room_id": [r.id for r in session.exec(select(Room)) if r.id is not None],
                "report_id": [1],
            }
        )
