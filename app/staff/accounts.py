"""Staff account changes that end sessions: password change and reset, disable, enable, delete, log out everywhere.

Each change bumps ``User.session_version`` (so every cookie and open watch socket of that user stops working
at once) and writes an audit row (``ModerationAction`` with no session; the actor is ``None`` from the CLI).
These are plain functions on a database session so the web pages and the ``bridgeway`` CLI share them.
"""

from __future__ import annotations

import secrets

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Exchange, User
from rooms.models import ExchangeSession, ModerationAction

MIN_PASSWORD = 10
MAX_PASSWORD = 200


class AccountError(Exception):
    """A change that cannot be made (no such user, the last admin...): one line for the page or the CLI."""


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return "Passwords are 10 to 200 characters."  # literal, so it can be translated (MIN/MAX_PASSWORD)
    return None


def find(db: Session, username: str) -> User:
    user = db.exec(select(User).where(User.username == username)).first()
    if user is None or user.id is None:
        raise AccountError(f"no staff account named {username!r}")
    return user


def _audit(db: Session, actor_id: int | None, action: str, user: User) -> None:
    db.add(ModerationAction(actor_user_id=actor_id, action=action, reason=f"user {user.id} {user.username}"[:500]))


def _end_sessions(user: User) -> None:
    user.session_version += 1


def end_sessions(db: Session, user_id: int, actor_id: int | None, action: str = "account_logout") -> int:
    """Log the user out everywhere (``/logout`` does this: a copied cookie dies with the one logged out)."""
    user = db.get(User, user_id)
    if user is None:
        raise AccountError(f"no staff account with id {user_id}")
    _end_sessions(user)
    db.add(user)
    _audit(db, actor_id, action, user)
    db.commit()
    return user.session_version


def set_password(db: Session, user_id: int, password_hash: str, actor_id: int | None) -> int:
    """Store a new password hash (hashed off the event loop by the caller); ends every session of the user.

    The actor changing their own password is ``account_password``; an admin's or the CLI's reset is
    ``account_reset``. Returns the new session version, so a self-service change can keep its own session.
    """
    user = db.get(User, user_id)
    if user is None:
        raise AccountError(f"no staff account with id {user_id}")
    user.password_hash = password_hash
    user.failed_logins, user.locked_until = 0, None
    _end_sessions(user)
    db.add(user)
    _audit(db, actor_id, "account_password" if actor_id == user_id else "account_reset", user)
    db.commit()
    return user.session_version


def set_disabled(db: Session, user_id: int, disabled: bool, actor_id: int | None) -> None:
    """Disable (ends every session; login refused) or enable an account."""
    user = db.get(User, user_id)
    if user is None:
        raise AccountError(f"no staff account with id {user_id}")
    if disabled and actor_id == user_id:
        raise AccountError("you cannot disable your own account")
    user.disabled = disabled
    if disabled:
        _end_sessions(user)
    db.add(user)
    _audit(db, actor_id, "account_disable" if disabled else "account_enable", user)
    db.commit()


def delete(db: Session, user_id: int, actor_id: int | None) -> None:
    """Delete an account; sessions it facilitated and exchanges it proposed keep existing without it."""
    user = db.get(User, user_id)
    if user is None:
        raise AccountError(f"no staff account with id {user_id}")
    if actor_id == user_id:
        raise AccountError("you cannot delete your own account")
    db.execute(
        update(ExchangeSession).where(col(ExchangeSession.facilitator_id) == user_id).values(facilitator_id=None)
    )
    db.execute(update(Exchange).where(col(Exchange.proposed_by) == user_id).values(proposed_by=None))
    _audit(db, actor_id, "account_delete", user)
    db.delete(user)
    db.commit()


def all_accounts(db: Session) -> list[User]:
    return list(db.exec(select(User).order_by(col(User.username))).all())
