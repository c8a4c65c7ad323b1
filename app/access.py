"""Ownership rules: which staff may see or act on which school, class, exchange and session."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import ExchangeClass, Role, SchoolClass, User
from rooms.models import ExchangeSession


def exchange_school_ids(db: Session, exchange_id: int) -> set[int]:
    rows = db.exec(
        select(SchoolClass.school_id)
        .join(ExchangeClass, col(ExchangeClass.class_id) == col(SchoolClass.id))
        .where(ExchangeClass.exchange_id == exchange_id)
    )
    return set(rows)


def can_manage_exchange(db: Session, user: User, exchange_id: int) -> bool:
    """Admins, and staff of a school taking part in the exchange."""
    if user.role == Role.ADMIN:
        return True
    return user.school_id is not None and user.school_id in exchange_school_ids(db, exchange_id)


def can_run_session(db: Session, user: User, exchange_session: ExchangeSession) -> bool:
    """Admins, the session's facilitator, and facilitators/coordinators of a partner school."""
    if user.role == Role.ADMIN or exchange_session.facilitator_id == user.id:
        return True
    return can_manage_exchange(db, user, exchange_session.exchange_id)
