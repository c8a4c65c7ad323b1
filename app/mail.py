"""Outgoing e-mail through ``BRIDGEWAY_SMTP_URL``: sent in the background with doubling retries, never blocking a page.

The URL and the sending shape are those of the safeguarding alerts (``smtp[s]://user:pass@host:port?from=…&starttls=1``);
this module is the generic half, so exchange notifications and alerts can share one mail path.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import anyio.to_thread

from app.settings import Settings

log = logging.getLogger("bridgeway.mail")
RETRY_SECONDS = 30.0
RETRY_ATTEMPTS = 8
_DELIVERIES: set[asyncio.Task[bool]] = set()  # referenced so running deliveries are not garbage-collected


@dataclass(frozen=True, slots=True)
class Mail:
    """One plain-text e-mail to one person (each recipient gets their own, in their own language)."""

    to: str
    subject: str
    body: str


class SmtpMailer:
    """Sends over SMTP (STARTTLS by default, or implicit TLS with ``smtps://``); blocking, so call it in a thread."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must look like smtp://user:password@host:587?from=bridgeway@school.example")
        query = parse_qs(parts.query)
        self.ssl = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.ssl else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = query.get("from", [f"bridgeway@{self.host}"])[0]
        self.starttls = not self.ssl and query.get("starttls", ["1"])[0] != "0"
        self.timeout = timeout

    def compose(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.body)
        return message

    def send(self, mail: Mail) -> None:
        self.send_message(self.compose(mail))

    def send_message(self, message: EmailMessage) -> None:
        """Deliver a composed message (safeguarding alerts compose their own, to several contacts at once)."""
        smtp_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def mailer_for(settings: Settings) -> SmtpMailer | None:
    """The configured mailer, or None when ``BRIDGEWAY_SMTP_URL`` is unset (then nothing is e-mailed)."""
    url = settings.smtp_url.get_secret_value() if settings.smtp_url is not None else ""
    return SmtpMailer(url) if url else None


def send_later(settings: Settings, mails: list[Mail]) -> int:
    """Queue each mail for background delivery (retried on failure); returns how many were queued."""
    mailer = mailer_for(settings)
    if mailer is None or not mails:
        return 0
    for mail in mails:
        task = asyncio.create_task(deliver(mailer, mail), name=f"mail-{mail.subject[:40]}")
        _DELIVERIES.add(task)
        task.add_done_callback(_DELIVERIES.discard)
    return len(mails)


async def deliver(
    mailer: SmtpMailer, mail: Mail, seconds: float = RETRY_SECONDS, attempts: int = RETRY_ATTEMPTS
) -> bool:
    """Send one mail, retrying after ``seconds``, doubling, ``attempts`` tries in all; every failure is logged."""
    delay = seconds
    for attempt in range(1, attempts + 1):
        try:
            await anyio.to_thread.run_sync(mailer.send, mail)
            return True
        except (OSError, smtplib.SMTPException) as exc:
            if attempt == attempts:
                log.error("e-mail %r failed %s times (%r); giving up", mail.subject, attempt, exc)
                return False
            log.warning("e-mail %r attempt %s failed (%r); retrying in %.0f s", mail.subject, attempt, exc, delay)
            await asyncio.sleep(delay)
            delay *= 2
    return False
