"""The audit log of staff actions: one row per action, written in the same transaction as the change."""

from __future__ import annotations

from sqlmodel import Session

from app.access import Run
from rooms.models import ModerationAction


def audit(
    db: Session,
    run: Run,
    action: str,
    reason: str = "",
    *,
    room_id: int | None = None,
    message_id: int | None = None,
    participant_id: int | None = None,
) -> None:
    """Add the audit row for a staff action to ``db``'s transaction (the caller commits with the change)."""
    db.add(
        ModerationAction(
            session_id=run.session_id,
            room_id=room_id,
            message_id=message_id,
            participant_id=participant_id,
            actor_user_id=run.user_id,
            action=action,
            reason=reason[:500],
        )
    )
