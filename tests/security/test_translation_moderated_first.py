"""A translation that reveals what moderation stops holds the message before any student has seen it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from rooms.models import Message, ModerationState
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.students import paired_pair, send, until

pytestmark = [pytest.mark.translation, pytest.mark.usefixtures("demo")]


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    from translation.packages import install_package
    from translation.tinymodel import build_tiny_package

    packages = tmp_path / "argos-packages"
    # "silly" passes every hook in English; the tiny en->es model turns it into a Spanish slur.
    model = build_tiny_package(tmp_path / "en_es.argosmodel", "en", "es", {"silly": "gilipollas", "hello": "hola"})
    install_package(model, packages)
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, translation_backend="argos", translation_packages_dir=packages)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_partner_never_receives_a_message_its_translation_withdraws(client: TestClient, settings: Settings) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        send(a, "s1", "hello you are silly")
        ack = until(a, "ack")
        withdrawn = until(a, "withdrawn")  # the sender's own copy is taken back
        send(a, "s2", "hello again")
        seen = [b.receive_json() for _ in range(2)]  # the next message and its translation, nothing before them
    assert ack["state"] == "visible"
    assert withdrawn["id"] == ack["id"]
    assert [frame["type"] for frame in seen] == ["message", "translation"]
    assert seen[0]["text"] == "hello again"
    assert seen[1]["id"] == seen[0]["id"]
    with db(settings) as session:
        held = session.get(Message, ack["id"])
    assert held is not None
    assert held.state == ModerationState.HELD


def test_messages_keep_their_order_with_their_translations(client: TestClient) -> None:
    with paired_pair(client) as (a, b, _room, _alice, _bruno):
        for n in range(6):
            send(a, f"o{n}", "hello friend " * (6 - n) + str(n))  # longer first: slower to translate
        frames = []
        while len([f for f in frames if f["type"] == "translation"]) < 6:
            frame = b.receive_json()
            if frame["type"] == "ping":
                b.send_json({"type": "pong"})
            if frame["type"] in ("message", "translation"):
                frames.append(frame)
    messages = [f["id"] for f in frames if f["type"] == "message"]
    assert messages == sorted(messages)
    for frame in frames:
        if frame["type"] == "translation":  # each translation follows its own original
            assert frame["id"] in messages[: messages.index(frame["id"]) + 1]
