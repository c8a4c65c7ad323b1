"""Opens sessions at their start time and closes them at their end, in every process (idempotently)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.services import Services
from rooms.clock import utcnow
from rooms.models import ExchangeSession, Room, RoomStatus, SessionStatus

log = logging.getLogger(__name__)


def open_due(db: Session) -> list[int]:
    """Sessions whose start has come: scheduled -> live. Returns the ids this call opened."""
    now = utcnow()
    due = db.exec(
        select(ExchangeSession.id).where(
            ExchangeSession.status == SessionStatus.SCHEDULED,
            ExchangeSession.starts_at <= now,
            ExchangeSession.ends_at > now,
        )
    ).all()
    opened = []
    for session_id in due:
        result = db.execute(
            update(ExchangeSession)
            .where(col(ExchangeSession.id) == session_id, col(ExchangeSession.status) == SessionStatus.SCHEDULED)
            .values(status=SessionStatus.LIVE)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            opened.append(session_id)
    db.commit()
    return [s for s in opened if s is not None]


def close_session(db: Session, session_id: int) -> bool:
    """Close a session and all its rooms. False when it was already closed (another process did it)."""
    now = utcnow()
    result = db.execute(
        update(ExchangeSession)
        .where(
            col(ExchangeSession.id) == session_id,
            col(ExchangeSession.status).in_([SessionStatus.LIVE, SessionStatus.PAUSED, SessionStatus.SCHEDULED]),
        )
        .values(status=SessionStatus.CLOSED)
    )
    db.execute(
        update(Room)
        .where(col(Room.session_id) == session_id, col(Room.status) == RoomStatus.OPEN)
        .values(status=RoomStatus.CLOSED, closed_at=now)
    )
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def ended(db: Session) -> list[int]:
    now = utcnow()
    rows = db.exec(
        select(ExchangeSession.id).where(
            col(ExchangeSession.status).in_([SessionStatus.LIVE, SessionStatus.PAUSED]), ExchangeSession.ends_at <= now
        )
    ).all()
    return [r for r in rows if r is not None]


class Scheduler:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="session-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> None:
        svc = self.svc
        for session_id in await svc.db.run(open_due):
            log.info("session %s opened", session_id)
            await svc.hub.to_session(session_id, {"type": "event", "event": "session_opened"})
            svc.lobby.request(session_id)
        for session_id in await svc.db.run(ended):
            if await svc.db.run(close_session, session_id):
                log.info("session %s closed at its end time", session_id)
                await svc.hub.to_session(session_id, {"type": "event", "event": "session_closed"})
        for session_id in list(svc.hub.session_members):
            if svc.hub.session_members.get(session_id):
                svc.lobby.request(session_id, delay=0)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self.svc.settings.scheduler_interval)
