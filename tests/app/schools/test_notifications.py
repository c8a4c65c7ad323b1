"""Exchange e-mails to coordinators through a real SMTP server (aiosmtpd on 127.0.0.1): language, actor, opt-out."""

from __future__ import annotations

import shutil
import socket
import time as clock
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select
from starlette.testclient import TestClient

from app import mail
from app.db import make_engine
from app.demo import DemoData, seed_demo
from app.main import create_app
from app.migrate import upgrade
from app.models import Role, School, User
from app.security import hash_password
from app.settings import Settings
from tests.app.schools.steps import SUMMER_DAY, add_school, class_ids, demo_exchange, post, sessions_of, when
from tests.conftest import make_settings
from tests.support.db import db
from tests.support.staff_login import login


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_site(
    tmp_path: Path, migrated_template: Path, inbox: tuple[Inbox, int]
) -> Iterator[tuple[TestClient, Settings, DemoData]]:
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    settings = make_settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{inbox[1]}?from=bridgeway@test.example&starttls=0")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    demo = seed_demo(engine, settings)
    engine.dispose()
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, settings, demo


def wait_for(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = clock.monotonic() + seconds
    while not check():
        assert clock.monotonic() < deadline, f"timed out waiting for {what}"
        clock.sleep(0.02)


def all_delivered() -> bool:
    return not mail._DELIVERIES


def set_mail(client: TestClient, username: str, password: str, address: str, language: str, on: bool = True) -> str:
    csrf = login(client, username, password)
    form = {"csrf_token": csrf, "email": address, "language": language, **({"exchange_emails": "on"} if on else {})}
    assert client.post("/notifications", data=form, follow_redirects=False).status_code == 303
    return csrf


@pytest.mark.parametrize(
    ("language", "moved", "cancelled", "notice"),
    [
        ("en", "[Bridgeway] Session moved: ", "[Bridgeway] Session cancelled: ", "Notice: Strike day."),
        ("fr", "[Bridgeway] Séance déplacée : ", "[Bridgeway] Séance annulée : ", "Avis : Strike day."),
        ("ar", "[Bridgeway] نُقلت جلسة: ", "[Bridgeway] أُلغيت جلسة: ", "تنبيه: Strike day."),
    ],
    ids=["en", "fr", "ar"],
)
def test_partner_is_told_of_moves_and_cancellations_in_their_language(
    mail_site: tuple[TestClient, Settings, DemoData],
    inbox: tuple[Inbox, int],
    language: str,
    moved: str,
    cancelled: str,
    notice: str,
) -> None:
    client, settings, demo = mail_site
    set_mail(client, "coordinator-gb", demo.logins["coordinator-gb"], "gb@school.example", language)
    csrf = set_mail(client, "coordinator-es", demo.logins["coordinator-es"], "es@school.example", "es")
    exchange_id = demo_exchange(settings)
    post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "10:00", "11:00", "Europe/Madrid"))
    base = f"/exchanges/{exchange_id}/sessions/{sessions_of(settings, exchange_id)[-1].id}"
    assert (
        post(client, f"{base}/reschedule", csrf, when(SUMMER_DAY, "12:00", "13:00", "Europe/Madrid")).status_code == 303
    )
    assert post(client, f"{base}/cancel", csrf, {"notice": "Strike day."}).status_code == 303
    wait_for(lambda: len(inbox[0].to("gb@school.example")) == 2 and all_delivered(), "two mails to GB")
    # Each mail is sent by a task of its own, so they may arrive in either order (under load they did): moved first.
    first, second = sorted(inbox[0].to("gb@school.example"), key=lambda m: not str(m["Subject"]).startswith(moved))
    assert str(first["Subject"]).startswith(moved)
    assert str(second["Subject"]).startswith(cancelled)
    body = first.get_content()
    assert "11:00" in body  # 12:00 in Madrid is 11:00 on the London school's clock
    assert f"http://127.0.0.1:8000/exchanges/{exchange_id}" in body
    assert "http://127.0.0.1:8000/notifications" in body
    assert notice in second.get_content()
    assert inbox[0].to("es@school.example") == []  # whoever made the change is not told


def test_proposal_and_acceptance_reach_the_other_school(
    mail_site: tuple[TestClient, Settings, DemoData], inbox: tuple[Inbox, int]
) -> None:
    client, settings, demo = mail_site
    partner = add_school(settings, "Lincoln", "US", "America/New_York", ["en"], "Mon 09:00-11:00")
    with db(settings) as session:
        school = session.exec(select(School).where(School.name == "Lincoln")).one()
        session.add(
            User(
                username="coord-us",
                display_name="US",
                role=Role.COORDINATOR,
                school_id=school.id,
                password_hash=hash_password("coord-us-password"),
                email="us@school.example",
                language="es",
            )
        )
        session.commit()
    csrf = set_mail(client, "coordinator-gb", demo.logins["coordinator-gb"], "gb@school.example", "en")
    gb_class, _ = class_ids(settings)
    form = {"partner_class_id": partner, "title": "Our towns", "mode": "live", "room_size": "2"}
    proposed = post(client, f"/classes/{gb_class}/propose", csrf, form)
    assert proposed.status_code == 303
    wait_for(lambda: len(inbox[0].to("us@school.example")) == 1, "the proposal")
    (proposal,) = inbox[0].to("us@school.example")
    assert proposal["Subject"] == "[Bridgeway] Nueva propuesta de intercambio: Our towns"
    assert "Riverside High School" in proposal.get_content()
    us_csrf = login(client, "coord-us", "coord-us-password")
    assert post(client, f"{proposed.headers['location']}/accept", us_csrf, {}).status_code == 303
    wait_for(lambda: len(inbox[0].to("gb@school.example")) == 1 and all_delivered(), "the acceptance")
    (accepted,) = inbox[0].to("gb@school.example")
    assert accepted["Subject"] == "[Bridgeway] Exchange accepted: Our towns"
    assert "Lincoln accepted the exchange Our towns." in accepted.get_content()
    assert len(inbox[0].to("us@school.example")) == 1


def test_opted_out_coordinator_gets_nothing_and_others_still_do(
    mail_site: tuple[TestClient, Settings, DemoData], inbox: tuple[Inbox, int]
) -> None:
    client, settings, demo = mail_site
    set_mail(client, "coordinator-gb", demo.logins["coordinator-gb"], "gb@school.example", "en", on=False)
    with db(settings) as session:
        session.add(
            User(
                username="gb-deputy",
                display_name="Deputy",
                role=Role.COORDINATOR,
                school_id=demo.school_ids[0],
                password_hash=hash_password("gb-deputy-password"),
                email="deputy@school.example",
            )
        )
        session.commit()
    page = client.get("/notifications").text
    assert '<input type="checkbox" name="exchange_emails" >' in page  # shown unchecked
    csrf = login(client, "coordinator-es", demo.logins["coordinator-es"])
    exchange_id = demo_exchange(settings)
    post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "10:00", "11:00", "Europe/Madrid"))
    target = sessions_of(settings, exchange_id)[-1].id
    assert post(client, f"/exchanges/{exchange_id}/sessions/{target}/cancel", csrf, {}).status_code == 303
    wait_for(lambda: len(inbox[0].to("deputy@school.example")) == 1 and all_delivered(), "the deputy's mail")
    assert inbox[0].to("gb@school.example") == []


@pytest.mark.parametrize(
    ("address", "status"), [("not-an-address", 400), ("", 303), ("a@b.example", 303)], ids=["bad", "blank", "good"]
)
def test_notification_settings_validate_the_address(
    client: TestClient, demo: DemoData, address: str, status: int
) -> None:
    csrf = login(client, "coordinator-gb", demo.logins["coordinator-gb"])
    form = {"csrf_token": csrf, "email": address, "language": "fr", "exchange_emails": "on"}
    assert client.post("/notifications", data=form, follow_redirects=False).status_code == status


def test_nothing_is_sent_without_smtp(client: TestClient, demo: DemoData, settings: Settings) -> None:
    csrf = set_mail(client, "coordinator-gb", demo.logins["coordinator-gb"], "gb@school.example", "en")
    exchange_id = demo_exchange(settings)
    post(client, f"/exchanges/{exchange_id}/sessions", csrf, when(SUMMER_DAY, "10:00", "11:00"))
    target = sessions_of(settings, exchange_id)[-1].id
    assert post(client, f"/exchanges/{exchange_id}/sessions/{target}/cancel", csrf, {}).status_code == 303
    assert all_delivered()


async def test_delivery_retries_until_the_mail_server_is_back(inbox: tuple[Inbox, int]) -> None:
    """A mail server that is down at first: the mail is retried, with a growing pause, and arrives once it is up."""
    handler, _ = inbox
    port = _free_port()
    mailer = mail.SmtpMailer(f"smtp://127.0.0.1:{port}?from=bridgeway@test.example&starttls=0", timeout=2)
    attempts: list[float] = []
    real_send = mailer.send

    def send(message: mail.Mail) -> None:
        attempts.append(clock.monotonic())
        if len(attempts) == 2:  # the server comes back during the first pause
            server.start()
        real_send(message)

    server = Controller(handler, hostname="127.0.0.1", port=port)
    mailer.send = send  # type: ignore[method-assign]
    try:
        sent = await mail.deliver(mailer, mail.Mail("gb@school.example", "Hello", "Body"), seconds=0.05, attempts=3)
    finally:
        server.stop()
    assert sent
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] >= 0.05
    assert [m["Subject"] for m in handler.to("gb@school.example")] == ["Hello"]


async def test_delivery_gives_up_after_the_last_attempt(caplog: pytest.LogCaptureFixture) -> None:
    mailer = mail.SmtpMailer(f"smtp://127.0.0.1:{_free_port()}?starttls=0", timeout=2)
    sent = await mail.deliver(mailer, mail.Mail("gb@school.example", "Lost", "Body"), seconds=0.01, attempts=3)
    assert not sent
    assert [r.levelname for r in caplog.records if r.name == "bridgeway.mail"] == ["WARNING", "WARNING", "ERROR"]
