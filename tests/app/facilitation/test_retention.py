"""Retention: `bridgeway purge` deletes old student data but keeps the audit log; per-student export and erase."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from app.demo import DemoData
from app.facilitation.retention import purge
from app.models import Exchange
from app.settings import Settings
from rooms.clock import utcnow
from rooms.models import (
    ExchangeSession,
    Message,
    ModerationAction,
    Participant,
    Report,
    Room,
    RoomMember,
    SessionStatus,
)
from tests.support.db import db
from tests.support.staff_login import login
from tests.support.students import hello, join, send, until

STUDENT_TABLES = (Participant, Message, Report, RoomMember, Room)


def counts(settings: Settings) -> dict[str, int]:
    with db(settings) as session:
        found = {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in STUDENT_TABLES}
        found["ModerationAction"] = session.exec(select(func.count()).select_from(ModerationAction)).one()
    return found


@pytest.fixture
def finished_session(client: TestClient, demo: DemoData, settings: Settings) -> DemoData:
    """A chat with a report and a facilitator action, then the session closed and its end moved ``days`` back."""
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    alice, bruno = join(client, "RIVER9", "Alice"), join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        until(a, "paired")
        send(a, "p1", "hello")
        shown = until(b, "message")
        b.send_json({"type": "report", "message_id": shown["id"], "reason": "spam"})
        until(b, "reported")
        client.post(f"/facilitate/{demo.session_id}/participants/{alice['participant']['id']}/warn",
                    data={"csrf_token": csrf})  # fmt: skip
        until(a, "event")
    assert client.post(f"/facilitate/{demo.session_id}/close", data={"csrf_token": csrf}).status_code in (200, 303)
    return demo


def age_session(settings: Settings, session_id: int, days: int, exchange_days: int | None = None) -> None:
    with db(settings) as session:
        exchange_session = session.get(ExchangeSession, session_id)
        assert exchange_session is not None
        exchange_session.ends_at = utcnow() - timedelta(days=days)
        exchange = session.get(Exchange, exchange_session.exchange_id)
        assert exchange is not None
        exchange.retention_days = exchange_days
        session.add_all([exchange_session, exchange])
        session.commit()


@pytest.mark.parametrize(
    ("age_days", "exchange_days", "purged"),
    [(400, None, True), (100, None, False), (100, 30, True), (10, 30, False)],
    ids=["past-default", "within-default", "past-exchange-setting", "within-exchange-setting"],
)
def test_purge_follows_the_retention_period(
    finished_session: DemoData, settings: Settings, age_days: int, exchange_days: int | None, purged: bool
) -> None:
    age_session(settings, finished_session.session_id, age_days, exchange_days)
    before = counts(settings)
    with db(settings) as session:
        report = purge(session, settings.retention_days)
    after = counts(settings)
    assert report.sessions == ([finished_session.session_id] if purged else [])
    for table in STUDENT_TABLES:
        assert after[table.__name__] == (0 if purged else before[table.__name__])
    assert after["ModerationAction"] == before["ModerationAction"] + int(purged)  # the purge is itself audited


def test_purge_keeps_the_audit_log_and_the_session(finished_session: DemoData, settings: Settings) -> None:
    age_session(settings, finished_session.session_id, 400)
    with db(settings) as session:
        before = [a.action for a in session.exec(select(ModerationAction))]
        purge(session, settings.retention_days)
    with db(settings) as session:
        after = [a.action for a in session.exec(select(ModerationAction))]
        kept = session.get(ExchangeSession, finished_session.session_id)
    assert after == [*before, "purge"]
    assert {"warn", "session_close"} <= set(after)
    assert kept is not None
    assert kept.status == SessionStatus.CLOSED


def test_purge_command_dry_run_then_real(finished_session: DemoData, settings: Settings) -> None:
    age_session(settings, finished_session.session_id, 400)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    environment.update({"BRIDGEWAY_DATA_DIR": str(settings.data_dir), "BRIDGEWAY_DATABASE_URL": settings.database_url})

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "app.cli", "purge", *args]
        return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)

    dry = cli("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete: 2 participants" in dry.stdout
    assert counts(settings)["Participant"] == 2
    real = cli()
    assert real.returncode == 0, real.stderr
    assert "deleted: 2 participants" in real.stdout
    assert counts(settings)["Participant"] == 0
    assert counts(settings)["ModerationAction"] > 0


def test_participant_export_has_their_data_and_is_audited(
    client: TestClient, finished_session: DemoData, settings: Settings
) -> None:
    with db(settings) as session:
        alice = session.exec(select(Participant).where(Participant.display_name == "Alice")).one()
    response = client.get(f"/facilitate/{finished_session.session_id}/participants/{alice.id}/export.json")
    data = json.loads(response.text)
    assert response.status_code == 200
    assert data["participant"]["name"] == "Alice"
    assert [m["text"] for m in data["messages"]] == ["hello"]
    assert "warn" in [a["action"] for a in data["moderation"]]
    with db(settings) as session:
        audited = session.exec(select(ModerationAction).where(ModerationAction.action == "export_participant")).all()
    assert [a.participant_id for a in audited] == [alice.id]


def test_erase_replaces_texts_and_name_once(client: TestClient, demo: DemoData, settings: Settings) -> None:
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    alice = join(client, "RIVER9", "Alice")
    bruno = join(client, "CERVA3", "Bruno")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, alice["token"])
        hello(b, bruno["token"])
        until(a, "paired")
        send(a, "x", "my secret thoughts")
        until(b, "message")
        url = f"/facilitate/{demo.session_id}/participants/{alice['participant']['id']}/erase"
        first = client.post(url, data={"csrf_token": csrf}, headers={"Accept": "application/json"})
        second = client.post(url, data={"csrf_token": csrf}, headers={"Accept": "application/json"})
    assert first.json() == {"ok": True, "erased": alice["participant"]["id"], "messages": 1}
    assert second.status_code == 409
    with db(settings) as session:
        erased = session.get(Participant, alice["participant"]["id"])
        texts = session.exec(select(Message.text).where(Message.participant_id == alice["participant"]["id"])).all()
        audit = session.exec(select(ModerationAction).where(ModerationAction.action == "erase_participant")).all()
    assert erased is not None
    assert (erased.display_name, erased.erased) == (f"erased-{erased.id}", True)
    assert texts == ["[erased]"]
    assert len(audit) == 1
    with client.websocket_connect("/ws") as again:  # the old token no longer opens a socket
        again.send_json({"type": "hello", "v": 1, "token": alice["token"]})
        assert again.receive_json()["code"] == "token_invalid"
