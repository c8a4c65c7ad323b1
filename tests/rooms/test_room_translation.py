"""Translation inside rooms with the real Argos code path and tiny demo models built by the test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.staff_login import login
from tests.support.students import hello, join, send, until
from translation.models import Translation

pytestmark = pytest.mark.translation


@pytest.fixture(scope="module")
def demo_packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from translation.tinymodel import install_demo_packages

    directory = tmp_path_factory.mktemp("argos-packages")
    install_demo_packages(directory)
    return directory


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path, demo_packs: Path) -> Settings:
    import shutil

    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, translation_backend="argos", translation_packages_dir=demo_packs)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def sockets(client: TestClient) -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def _pair(client: TestClient, stack: ExitStack, second: tuple[str, str, dict[str, object]]) -> tuple[Any, Any]:
    alice = join(client, "RIVER9", "Alice")
    other = join(client, second[0], second[1], **second[2])
    a = stack.enter_context(client.websocket_connect("/ws"))
    b = stack.enter_context(client.websocket_connect("/ws"))
    welcome = hello(a, alice["token"])
    assert "es" in welcome["translation_languages"]
    hello(b, other["token"])
    until(a, "paired")
    until(b, "paired")
    return a, b


def test_partner_gets_original_first_then_translation(client: TestClient, demo: object, sockets: ExitStack) -> None:
    a, b = _pair(client, sockets, ("CERVA3", "Bruno", {}))
    send(a, "t1", "Hello world")
    original = until(b, "message")
    assert original["text"] == "Hello world"
    assert original["lang"] == "en"
    translated = until(b, "translation")
    assert translated == {
        "type": "translation",
        "id": original["id"],
        "room": original["room"],
        "seq": original["seq"],
        "source": "en",
        "lang": "es",
        "text": "Hola mundo",
    }
    assert until(a, "translation")["lang"] == "es"  # the room gets each language once, senders included
    send(b, "t2", "Hola amigo")
    assert until(a, "translation")["text"] == "Hello friend"


def test_repeated_phrase_is_translated_once(
    client: TestClient, demo: object, settings: Settings, sockets: ExitStack
) -> None:
    a, b = _pair(client, sockets, ("CERVA3", "Bruno", {}))
    for i in range(3):
        send(a, f"r{i}", "Good morning friend")
        assert until(b, "translation")["text"] == "Bueno mañana amigo"
    # The cache row is written in the background once the translation went out: wait for it, then make sure
    # the three sends produced one row.
    engine = make_engine(settings.database_url)
    deadline = time.monotonic() + 5
    while True:
        with Session(engine) as db:
            rows = db.exec(select(Translation).where(Translation.source == "en", Translation.target == "es")).all()
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    engine.dispose()
    assert len(rows) == 1


def test_missing_pair_is_said_once_to_the_room_and_the_console(
    client: TestClient, demo: DemoData, sockets: ExitStack
) -> None:
    # Berta reads German: no pack translates en->de. She gets the originals, the room is told once, and so is the
    # facilitator, whose console shows the room's translation state.
    login(client, "facilitator", demo.logins["facilitator"])
    watch = sockets.enter_context(client.websocket_connect(f"/ws/watch?session={demo.session_id}"))
    assert watch.receive_json()["type"] == "watching"
    a, b = _pair(client, sockets, ("CERVA3", "Berta", {"languages": ["de"]}))
    for n in range(3):
        send(a, f"m{n}", f"Hello world {n}")
        until(a, "ack")
    seen = _frames_until(b, "Hello world 2")
    send(b, "b1", "Hallo Welt")  # de->en is missing too: said once more, for that pair
    seen += _frames_until(b, "Hallo Welt")
    send(a, "m3", "Hello again")
    seen += _frames_until(b, "Hello again")
    watched = _frames_until(watch, "Hello again")
    room = seen[0]["room"]
    assert [f["text"] for f in seen if f["type"] == "message"] == [*(f"Hello world {n}" for n in range(3)),
                                                                   "Hallo Welt", "Hello again"]  # fmt: skip
    notices = [f for f in seen if f["type"] == "event" and f["event"].startswith("translation")]
    assert notices == [
        {"type": "event", "event": "translation_unavailable", "room": room, "source": "en", "lang": "de"},
        {"type": "event", "event": "translation_unavailable", "room": room, "source": "de", "lang": "en"},
    ]
    assert [f for f in seen if f["type"] == "translation"] == []  # no "unavailable" under every message
    assert [f for f in watched if f["type"] == "event" and f["event"].startswith("translation")] == notices
    health = client.get(f"/facilitate/{demo.session_id}/translation.json").json()
    (view,) = health["rooms"]
    assert (view["id"], view["state"], view["missing"]) == (room, "unavailable", [["de", "en"], ["en", "de"]])
    assert view["text"] == "Translation: no language pack for German → English, English → German."
    assert health["queue"] == {"mode": "in_process", "pending": 0, "max_queue": 128, "workers": None}


def _frames_until(ws: Any, text: str) -> list[dict[str, Any]]:
    """Every frame up to and including the message with `text` (pings answered, acks left out)."""
    frames = []
    for _ in range(100):
        frame = ws.receive_json()
        if frame["type"] == "ping":
            ws.send_json({"type": "pong"})
        if frame["type"] in ("ping", "ack"):
            continue
        frames.append(frame)
        if frame["type"] == "message" and frame["text"] == text:
            return frames
    raise AssertionError(f"no message {text!r}")


def test_pivot_through_english(client: TestClient, demo: object, sockets: ExitStack) -> None:
    a, b = _pair(client, sockets, ("CERVA3", "Fleur", {"languages": ["es"]}))
    send(a, "fr1", "bonjour ami", lang="fr")
    frames = {f["lang"]: f for f in (until(b, "translation"), until(b, "translation"))}
    assert frames["en"]["text"] == "hello friend"  # the room needs en (Alice) and es (Fleur)
    frame = frames["es"]
    assert frame["source"] == "fr"
    assert frame["lang"] == "es"
    assert frame["text"] == "hola amigo"
