"""Safeguarding e-mail against a real SMTP server (aiosmtpd on 127.0.0.1), finding 13.

An alert arrives once, with its context, however often the queue is read; while the mail server is down
the room carries on and the alert is retried (each failure logged) until the server is back.
"""

from __future__ import annotations

import logging
import shutil
import time
from email import message_from_bytes
from email.message import Message as Email
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.testclient import TestClient, WebSocketTestSession

from app.demo import DemoData
from app.models import School
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.server import free_port
from tests.support.staff_login import login
from tests.support.students import paired_pair, send, until

CONTACTS = ("dsl@river.example", "dsl@cerva.example")


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Email]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.mails) < count:
            assert time.monotonic() < deadline, f"{len(self.mails)} of {count} e-mails arrived"
            time.sleep(0.05)


def _mail_server(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path, port: int) -> Settings:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    url = f"smtp://127.0.0.1:{port}?from=bridgeway@test.example&starttls=0"
    return make_settings(tmp_path, smtp_url=url, smtp_retry_seconds=0.2, smtp_retry_attempts=8)


@pytest.fixture
def contacts(demo: DemoData, settings: Settings) -> None:
    with db(settings) as session:
        for school_id, email in zip(demo.school_ids, CONTACTS, strict=True):
            school = session.get(School, school_id)
            assert school is not None
            school.safeguarding_email = email
            session.add(school)
        session.commit()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def _report(client: TestClient, a: WebSocketTestSession, b: WebSocketTestSession) -> int:
    send(a, "r1", "you are stupid")
    shown = until(b, "message")
    b.send_json({"type": "report", "message_id": shown["id"], "reason": "bullying"})
    until(b, "reported")
    return int(shown["id"])


@pytest.mark.usefixtures("contacts")
def test_safeguarding_alert_arrives_once_with_its_context(
    client: TestClient, demo: DemoData, inbox: Inbox, port: int
) -> None:
    mail_server = _mail_server(inbox, port)
    try:
        login(client, "facilitator", demo.logins["facilitator"])
        with paired_pair(client) as (a, b, room, _alice, _bruno):
            _report(client, a, b)
            inbox.wait_for(1)
            for _ in range(3):  # the console reads the queue, which also claims unsent alerts
                assert client.get(f"/facilitate/{demo.session_id}/queue.json").status_code == 200
        time.sleep(0.5)  # a second e-mail, if any, would have arrived by now
    finally:
        mail_server.stop()
    assert len(inbox.mails) == 1
    recipients, mail = inbox.mails[0]
    assert sorted(recipients) == sorted(CONTACTS)
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"Room: {room}" in body
    assert "Reason given: bullying" in body
    assert f"/facilitate/{demo.session_id}/queue" in body
    assert "stupid" not in body  # the student's words stay on the server


@pytest.mark.usefixtures("contacts")
def test_mail_outage_neither_blocks_the_room_nor_loses_the_alert(
    client: TestClient, demo: DemoData, inbox: Inbox, port: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bridgeway.safeguarding"), paired_pair(client) as (a, b, *_):
        started = time.monotonic()
        _report(client, a, b)
        send(a, "after", "still chatting")
        assert until(b, "message")["text"] == "still chatting"
        assert time.monotonic() - started < 2  # the room did not wait for the mail server
        deadline = time.monotonic() + 10
        while not any("attempt 2 failed" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "no retry was logged"
            time.sleep(0.05)
        mail_server = _mail_server(inbox, port)  # the mail server comes back
        try:
            inbox.wait_for(1)
            time.sleep(0.5)
        finally:
            mail_server.stop()
    assert len(inbox.mails) == 1
    assert any("sent on attempt" in r.getMessage() for r in caplog.records)
