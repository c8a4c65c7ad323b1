"""Erase and purge leave no trace of a student's text, translations included; retention runs by itself (finding 5)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import DemoData
from app.facilitation.retention import purge
from app.main import create_app
from app.settings import Settings
from rooms.models import Message, ModerationAction
from tests.app.facilitation.test_retention import age_session
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.staff_login import login
from tests.support.students import hello, join, send, until
from translation.cache import TranslationCache
from translation.models import Translation

SECRET = "my secret thoughts"
MASKED = "you are a damn fool"  # the profanity hook masks it: shown and original texts differ
OTHER = "an unrelated sentence"


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    return make_settings(tmp_path, moderation_extra_words=["damn"])


def _chat(client: TestClient) -> tuple[dict[str, object], dict[str, object]]:
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        until(a, "paired")
        for i, text in enumerate((SECRET, MASKED)):
            send(a, f"m{i}", text)
            until(b, "message")
    return alice, bruno


def _translate_everything(settings: Settings) -> None:
    """What the translation service stores for each delivered and each original text, plus an unrelated one."""
    engine = make_engine(settings.database_url)
    cache = TranslationCache(engine)
    with db(settings) as session:
        texts = {t for row in session.exec(select(Message.text, Message.original_text)) for t in row if t}
    assert len(texts) >= 3  # the secret, the masked text and its original
    for text in [*texts, OTHER]:
        cache.put(text, "en", "es", "v1", f"ES[{text}]")
    engine.dispose()


def _translated(settings: Settings) -> list[str]:
    with db(settings) as session:
        return list(session.exec(select(Translation.translated_text)))


def test_erase_removes_the_translations_of_every_text_the_student_had(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    alice, _ = _chat(client)
    _translate_everything(settings)
    pid = alice["participant"]["id"]  # type: ignore[index]
    erased = client.post(f"/facilitate/{demo.session_id}/participants/{pid}/erase", data={"csrf_token": csrf})
    assert erased.status_code in (200, 303)
    left = _translated(settings)
    assert left == [f"ES[{OTHER}]"]
    assert not any("secret" in t or "damn" in t or "fool" in t for t in left)


def test_purge_removes_translations_of_original_texts_too(
    client: TestClient, demo: DemoData, settings: Settings
) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    _chat(client)
    client.post(f"/facilitate/{demo.session_id}/close", data={"csrf_token": csrf})
    _translate_everything(settings)
    age_session(settings, demo.session_id, days=400)
    with db(settings) as session:
        purge(session, settings.retention_days)
    assert _translated(settings) == [f"ES[{OTHER}]"]


def test_retention_runs_inside_the_server_once_per_interval(
    client: TestClient, demo: DemoData, settings: Settings, tmp_path: Path
) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    _chat(client)
    client.post(f"/facilitate/{demo.session_id}/close", data={"csrf_token": csrf})
    _translate_everything(settings)
    age_session(settings, demo.session_id, days=400)
    scheduled = settings.model_copy(update={"retention_interval_hours": 0.0001, "scheduler_interval": 0.05})
    # Two server processes' worth of schedulers on one database: the work is done once, audited once.
    with TestClient(create_app(scheduled)), TestClient(create_app(scheduled)):
        deadline = time.monotonic() + 10
        while True:
            with db(settings) as session:
                if not session.exec(select(Message.id)).first():
                    break
            assert time.monotonic() < deadline, "the scheduled purge did not run"
            time.sleep(0.05)
        time.sleep(1.5)  # several more intervals (0.36 s each): nothing left to do, so no more audit rows
    with db(settings) as session:
        purges = session.exec(select(ModerationAction).where(ModerationAction.action == "purge")).all()
    assert len(purges) == 1
    assert _translated(settings) == [f"ES[{OTHER}]"]
