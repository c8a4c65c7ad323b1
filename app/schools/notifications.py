"""E-mail coordinators when a partner proposes or answers an exchange, or a session is moved or cancelled.

Each coordinator gets their own mail in their interface language (``User.language``), if they gave an address
and did not opt out on ``/notifications``. Whoever made the change is not told about it. Nothing is sent when
``BRIDGEWAY_SMTP_URL`` is unset; delivery runs in the background with retries (``app/mail.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from app import i18n
from app.access import coordinator_route, staff_user
from app.i18n import Phrase
from app.locale.extra_messages import N_
from app.mail import Mail, send_later
from app.models import ExchangeClass, Role, School, SchoolClass, User
from app.services import Services
from app.templating import format_when, render

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$")
FOOTER = Phrase("You get this e-mail as a Bridgeway coordinator. Change or turn off these e-mails at %(url)s")
SUBJECTS = {
    "proposed": N_("New exchange proposal: %(title)s"),
    "accepted": N_("Exchange accepted: %(title)s"),
    "declined": N_("Exchange declined: %(title)s"),
    "moved": N_("Session moved: %(title)s"),
    "cancelled": N_("Session cancelled: %(title)s"),
}
BODIES = {
    "proposed": N_("%(school)s proposes an exchange with your class: %(title)s. Accept or decline it at %(url)s"),
    "accepted": N_("%(school)s accepted the exchange %(title)s. You can schedule sessions at %(url)s"),
    "declined": N_("%(school)s declined the exchange %(title)s. %(url)s"),
    "moved": N_("A session of %(title)s was moved by %(school)s. It now runs from %(start)s to %(end)s. %(url)s"),
    "cancelled": N_("%(school)s cancelled the session of %(title)s on %(start)s. %(url)s"),
}


@dataclass(frozen=True, slots=True)
class ExchangeEvent:
    """Something a partner school did to an exchange, as the mails describe it."""

    kind: str  # a key of SUBJECTS
    exchange_id: int
    title: str
    actor: User
    school: str  # the acting school's name
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    notice: str = ""


def recipients(db: Session, exchange_id: int, actor: User) -> list[tuple[User, School]]:
    """Coordinators of every school in the exchange with an address and e-mails on, except whoever acted."""
    school_ids = (
        select(SchoolClass.school_id)
        .join(ExchangeClass, col(ExchangeClass.class_id) == col(SchoolClass.id))
        .where(ExchangeClass.exchange_id == exchange_id)
    )
    rows = db.exec(
        select(User, School)
        .join(School, col(School.id) == col(User.school_id))
        .where(
            col(User.school_id).in_(school_ids),
            User.role == Role.COORDINATOR,
            col(User.email).is_not(None),
            col(User.exchange_emails).is_(True),
            User.id != actor.id,
        )
        .order_by(col(User.id))
    ).all()
    return [(user, school) for user, school in rows]


def compose(event: ExchangeEvent, user: User, school: School, base_url: str) -> Mail:
    """The mail for one recipient: in their language, times on their school's clock."""
    language = user.language if user.language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    values = {
        "title": event.title,
        "school": event.school,
        "url": f"{base_url.rstrip('/')}/exchanges/{event.exchange_id}",
        "start": format_when(event.starts_at, school.timezone, language) if event.starts_at else "",
        "end": format_when(event.ends_at, school.timezone, language) if event.ends_at else "",
    }
    body = [i18n.gettext(language, Phrase(BODIES[event.kind], **values))]
    if event.notice:
        body.append(i18n.gettext(language, Phrase("Notice: %(notice)s", notice=event.notice)))
    footer = Phrase(FOOTER.msgid, url=f"{base_url.rstrip('/')}/notifications")
    body += ["", "-- ", i18n.gettext(language, footer)]
    subject = i18n.gettext(language, Phrase(SUBJECTS[event.kind], **values))
    return Mail(to=user.email or "", subject=f"[Bridgeway] {subject}", body="\n".join(body) + "\n")


def mails_for(db: Session, event: ExchangeEvent, base_url: str) -> list[Mail]:
    return [compose(event, user, school, base_url) for user, school in recipients(db, event.exchange_id, event.actor)]


async def notify(svc: Services, event: ExchangeEvent) -> int:
    """Queue the event's mails (a no-op without SMTP); returns how many were queued."""
    if svc.settings.smtp_url is None:
        return 0
    mails = await svc.db.run(mails_for, event, svc.settings.base_url)
    return send_later(svc.settings, mails)


async def settings_page(request: Request) -> Response:
    """``GET /notifications``: the coordinator's address, e-mail language and the opt-out."""
    user, _ = await staff_user(request)
    saved = request.query_params.get("saved") == "1"
    return render(request, "schools/notifications.html", {"user": user, "errors": [], "saved": saved})


async def save_settings(request: Request) -> Response:
    """``POST /notifications``: save address, language and opt-out (``exchange_emails`` checkbox)."""
    user, svc = await staff_user(request)
    form = await request.form()
    email = str(form.get("email", "")).strip()[:254]
    language = str(form.get("language", user.language))
    errors: list[str] = []
    if email and not EMAIL.match(email):
        errors.append(Phrase("Enter an e-mail address such as name@school.example."))
    if language not in i18n.LANGUAGES:
        errors.append(Phrase("Pick one of the listed languages."))
    if errors:
        return render(request, "schools/notifications.html", {"user": user, "errors": errors, "saved": False}, 400)

    def save(db: Session) -> None:
        row = db.get(User, user.id)
        assert row is not None
        row.email, row.language, row.exchange_emails = email or None, language, form.get("exchange_emails") == "on"
        db.add(row)
        db.commit()

    await svc.db.run(save)
    return RedirectResponse("/notifications?saved=1", status_code=303)


routes: list[BaseRoute] = [
    coordinator_route("/notifications", settings_page, ["GET"]),
    coordinator_route("/notifications", save_settings, ["POST"]),
]
