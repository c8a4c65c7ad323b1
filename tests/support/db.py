"""Open the test's database directly, to set up rows or check what the app stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session, select

from app.db import make_engine
from app.settings import Settings
from rooms.models import ModerationAction


@contextmanager
def db(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def audit_rows(settings: Settings, action: str) -> list[ModerationAction]:
    """The moderation audit log entries of one kind."""
    with db(settings) as session:
        return list(session.exec(select(ModerationAction).where(ModerationAction.action == action)))
