"""Tell schools' safeguarding contacts about student reports: a log line always, an e-mail once SMTP is set.

E-mail goes out in the background and is retried with doubling back-off (``BRIDGEWAY_SMTP_RETRY_SECONDS``,
``BRIDGEWAY_SMTP_RETRY_ATTEMPTS``), each failure logged: a mail outage neither blocks a room or a page nor
drops the alert (the log line and the moderation queue have it at once; retries live in the process).
Notifications are exactly-once per report within one database: sending first writes a
``notify_safeguarding`` row to the audit log, and reports that have such a row are skipped. They are sent
when the facilitator console asks for the queue (it does so as soon as a ``report`` frame arrives, and every
few seconds) and straight from ``RoomService.report`` via ``notify_report`` (a report listener the wiring adds).
The e-mail says which session, room and reason, and links to the queue; it does not copy the student's text.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import anyio.to_thread
from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.mail import SmtpMailer
from app.models import School, SchoolClass
from app.settings import Settings
from rooms.clock import iso
from rooms.database import Database
from rooms.models import ExchangeSession, Message, ModerationAction, Participant, Report, Room

log = logging.getLogger("bridgeway.safeguarding")
NOTIFIED = "notify_safeguarding"


@dataclass(frozen=True, slots=True)
class SafeguardingAlert:
    """What a safeguarding contact is told about one report (no message text, no contact data of students)."""

    report_id: int
    session_id: int
    session_title: str
    room_id: int
    message_id: int
    reason: str
    created_at: str
    schools: tuple[str, ...]
    recipients: tuple[str, ...]
    queue_url: str


class Notifier(Protocol):
    """Delivers an alert; called in a worker thread, so it may block (SMTP)."""

    def notify(self, alert: SafeguardingAlert) -> None: ...


class LogNotifier:
    """Writes each alert to the ``bridgeway.safeguarding`` logger (route it to your monitoring)."""

    def notify(self, alert: SafeguardingAlert) -> None:
        log.warning(
            "report %s in session %s (%s), room %s, message %s: %s; schools %s; contacts %s; review at %s",
            alert.report_id,
            alert.session_id,
            alert.session_title,
            alert.room_id,
            alert.message_id,
            alert.reason,
            ", ".join(alert.schools) or "-",
            len(alert.recipients),
            alert.queue_url,
        )


class SmtpNotifier:
    """E-mails the schools' safeguarding contacts. URL: ``smtp[s]://user:pass@host:port?from=addr&starttls=1``."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.mailer = SmtpMailer(url, timeout)  # the URL and the connection are the mail module's

    def compose(self, alert: SafeguardingAlert) -> EmailMessage:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.mailer.sender, ", ".join(alert.recipients)
        mail["Subject"] = f"[Bridgeway] Student report in {alert.session_title or f'session {alert.session_id}'}"
        mail.set_content(
            "A student reported a message in a Bridgeway session your school takes part in.\n\n"
            f"Session: {alert.session_title} (id {alert.session_id})\nRoom: {alert.room_id}\n"
            f"Reason given: {alert.reason}\nTime (UTC): {alert.created_at}\n\n"
            f"Review it in the moderation queue (staff login required):\n{alert.queue_url}\n"
        )
        return mail

    def notify(self, alert: SafeguardingAlert) -> None:
        if not alert.recipients:
            return
        self.mailer.send_message(self.compose(alert))


class Notifiers:
    """Every configured notifier in turn; one failing (mail server down) does not stop the others."""

    def __init__(self, *notifiers: Notifier) -> None:
        self.notifiers = notifiers

    def notify(self, alert: SafeguardingAlert) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(alert)
            except Exception:
                log.exception("safeguarding notifier %s failed for report %s", type(notifier).__name__, alert.report_id)


def default_notifier(settings: Settings) -> Notifier:
    """The log always; e-mail too when ``BRIDGEWAY_SMTP_URL`` (``settings.smtp_url``) is set."""
    secret = settings.smtp_url.get_secret_value() if settings.smtp_url is not None else ""
    if secret:
        return Notifiers(LogNotifier(), SmtpNotifier(secret))
    return Notifiers(LogNotifier())


def _notified(db: Session, report_ids: list[int]) -> set[int]:
    if not report_ids:
        return set()
    markers = or_(*(col(ModerationAction.reason).startswith(f"report {rid} ") for rid in report_ids))
    rows = db.exec(select(ModerationAction.reason).where(ModerationAction.action == NOTIFIED, markers))
    done = {int(reason.split()[1]) for reason in rows if reason.startswith("report ") and reason.split()[1].isdigit()}
    return done & set(report_ids)


def _school_contacts(db: Session, participant_ids: set[int]) -> tuple[list[str], list[str]]:
    names, emails = [], []
    schools = db.exec(
        select(School)
        .join(SchoolClass, col(SchoolClass.school_id) == col(School.id))
        .join(Participant, col(Participant.class_id) == col(SchoolClass.id))
        .where(col(Participant.id).in_(participant_ids))
    ).all()
    for school in {s.id: s for s in schools}.values():
        names.append(school.name)
        if school.safeguarding_email:
            emails.append(school.safeguarding_email)
    return names, emails


def claim_alerts(db: Session, report_ids: list[int], base_url: str) -> list[SafeguardingAlert]:
    """Alerts for the reports not notified yet, marked as notified in the audit log in the same transaction.

    Claims are serialised (a lock in this process; row locks on PostgreSQL across processes) so that the
    report-time notification and a console reading the queue never both send the same alert.
    """
    with _CLAIM_LOCK:
        return _claim_alerts(db, report_ids, base_url)


_CLAIM_LOCK = threading.Lock()


def _claim_alerts(db: Session, report_ids: list[int], base_url: str) -> list[SafeguardingAlert]:
    alerts = []
    db.exec(select(Report.id).where(col(Report.id).in_(report_ids)).with_for_update()).all()
    for report_id in sorted(set(report_ids) - _notified(db, report_ids)):
        report = db.get(Report, report_id)
        message = db.get(Message, report.message_id) if report else None
        room = db.get(Room, message.room_id) if message else None
        exchange_session = db.get(ExchangeSession, room.session_id) if room else None
        if report is None or message is None or room is None or exchange_session is None:
            continue
        people = {report.reporter_id} | ({message.participant_id} if message.participant_id else set())
        schools, emails = _school_contacts(db, people)
        alert = SafeguardingAlert(
            report_id=report_id,
            session_id=room.session_id,
            session_title=exchange_session.title,
            room_id=message.room_id,
            message_id=message.id or 0,
            reason=report.reason,
            created_at=iso(report.created_at),
            schools=tuple(schools),
            recipients=tuple(emails),
            queue_url=f"{base_url.rstrip('/')}/facilitate/{room.session_id}/queue",
        )
        db.add(
            ModerationAction(
                session_id=room.session_id,
                room_id=room.id,
                message_id=message.id,
                participant_id=message.participant_id,
                action=NOTIFIED,
                reason=f"report {report_id} sent to {len(emails)} safeguarding contact(s)",
            )
        )
        alerts.append(alert)
    db.commit()
    return alerts


def _session_reports(db: Session, session_id: int) -> list[int]:
    rows = db.exec(
        select(Report.id)
        .join(Message, col(Message.id) == col(Report.message_id))
        .join(Room, col(Room.id) == col(Message.room_id))
        .where(Room.session_id == session_id)
    ).all()
    return [r for r in rows if r is not None]


@dataclass(frozen=True, slots=True)
class Retry:
    """E-mail retries: the first after ``seconds``, doubling, ``attempts`` tries in all."""

    seconds: float = 30.0
    attempts: int = 8


_DELIVERIES: set[asyncio.Task[None]] = set()  # retrying e-mails, referenced so they are not collected mid-way


async def _send(notifier: Notifier, alerts: list[SafeguardingAlert], retry: Retry) -> None:
    """The log line now; each e-mail in the background, retried with back-off, so no caller waits on SMTP."""
    parts = notifier.notifiers if isinstance(notifier, Notifiers) else (notifier,)
    for alert in alerts:
        for part in parts:
            if isinstance(part, SmtpNotifier):
                task = asyncio.create_task(_deliver(part, alert, retry), name=f"safeguarding-mail-{alert.report_id}")
                _DELIVERIES.add(task)
                task.add_done_callback(_DELIVERIES.discard)
            else:
                await anyio.to_thread.run_sync(Notifiers(part).notify, alert)


async def _deliver(notifier: Notifier, alert: SafeguardingAlert, retry: Retry) -> None:
    delay = retry.seconds
    for attempt in range(1, retry.attempts + 1):
        try:
            await anyio.to_thread.run_sync(notifier.notify, alert)
            if attempt > 1:
                log.warning("report %s: e-mail sent on attempt %s", alert.report_id, attempt)
            return
        except Exception as exc:
            if attempt == retry.attempts:
                log.error(
                    "report %s: e-mail failed %s times (%r); giving up, the report waits in the moderation queue",
                    alert.report_id, attempt, exc,
                )  # fmt: skip
                return
            log.warning("report %s: e-mail attempt %s failed (%r); retrying in %.0f s", alert.report_id, attempt,
                        exc, delay)  # fmt: skip
            await asyncio.sleep(delay)
            delay *= 2


def _retry(settings: Settings) -> Retry:
    return Retry(settings.smtp_retry_seconds, settings.smtp_retry_attempts)


async def notify_report(db: Database, settings: Settings, report_id: int, notifier: Notifier | None = None) -> bool:
    """Notify about one new report now (for ``RoomService.report``); False if it was already notified."""
    alerts = await db.run(claim_alerts, [report_id], settings.base_url)
    await _send(notifier or default_notifier(settings), alerts, _retry(settings))
    return bool(alerts)


async def notify_pending(db: Database, settings: Settings, session_id: int, notifier: Notifier | None = None) -> int:
    """Notify every report of the session not notified yet; returns how many alerts went out."""
    report_ids = await db.run(_session_reports, session_id)
    if not report_ids:
        return 0
    alerts = await db.run(claim_alerts, report_ids, settings.base_url)
    await _send(notifier or default_notifier(settings), alerts, _retry(settings))
    return len(alerts)
