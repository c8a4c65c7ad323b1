"""Opens sessions at their start time and closes them at their end, and purges expired student data on its own
schedule, in every process (idempotently: a second process finds the work done)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.facilitation.retention import purge
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
        self._next_purge = 0.0  # monotonic time; the first tick purges, so a restart never skips a run

    async def purge_if_due(self) -> None:
        """Retention without cron: ``purge`` every ``BRIDGEWAY_RETENTION_INTERVAL_HOURS`` (the CLI stays)."""
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + self.svc.settings.retention_interval_hours * 3600
        try:
            report = await self.svc.db.run(purge, self.svc.settings.retention_days)
        except Exception:  # the database was away: try again in a minute, and keep opening and closing sessions
            log.exception("retention purge failed")
            self._next_purge = now + 60
            return
        if report.participants or report.messages or report.rooms or report.translations:
            log.info("retention purge: %s", report.as_dict())

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="session-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> None:
        svc = self.svc
        await self.purge_if_due()
        for session_id in await svc.db.run(open_due):
            log.info("session %s opened", session_id)
            await svc.rooms.notices.session_event(session_id, "session_opened")
            svc.lobby.request(session_id)
        for session_id in await svc.db.run(ended):
            if await svc.db.run(close_session, session_id):
                log.info("session %s closed at its end time", session_id)
                await svc.rooms.notices.session_event(session_id, "session_closed")
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
