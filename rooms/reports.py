"""Students reporting a message: stored for the moderation queue, shown to watchers, passed to listeners."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from rooms.connection import Connection
from rooms.database import Database
from rooms.models import Report
from rooms.notices import Notices
from rooms.parsing import FrameError, get_int, get_str
from rooms.protocol import dumps, report_frame, reported_frame
from rooms.store import store_alert, store_report
from rooms.tasks import Tasks

REPORT_REASONS = frozenset({"contact_details", "bullying", "inappropriate", "spam", "unsafe", "other"})
ReportListener = Callable[[int], Coroutine[Any, Any, None]]


class Reports:
    def __init__(self, db: Database, notices: Notices, tasks: Tasks, listeners: Sequence[ReportListener] = ()) -> None:
        self.db, self.notices, self._tasks = db, notices, tasks
        self.listeners = tuple(listeners)  # e.g. safeguarding e-mail, even with no console open

    async def report(self, conn: Connection, frame: dict[str, Any]) -> None:
        message_id = get_int(frame, "message_id")
        reason = get_str(frame, "reason", max_len=40) or ""
        note = get_str(frame, "note", required=False, max_len=500) or ""
        if reason not in REPORT_REASONS:
            raise FrameError("bad_frame", f"'reason' must be one of {sorted(REPORT_REASONS)}")
        if conn.room_id is None or conn.participant_id is None or conn.session_id is None:
            raise FrameError("not_in_room")
        assert message_id is not None
        stored = await self.db.run(store_report, message_id, conn.room_id, conn.participant_id, reason, note)
        if stored is None:
            raise FrameError("unknown_message")
        report, new = stored
        conn.send(dumps(reported_frame(message_id)))
        if new:
            await self._raise(conn.session_id, conn.room_id, report)

    async def alert(self, session_id: int, room_id: int, message_id: int, participant_id: int, code: str) -> None:
        """Moderation raised a safeguarding alert about a delivered message (a disclosure): same path as a report."""
        report = await self.db.run(store_alert, message_id, participant_id, code)
        await self._raise(session_id, room_id, report)

    async def _raise(self, session_id: int, room_id: int, report: Report) -> None:
        for listener in self.listeners:
            if report.id is not None:
                self._tasks.spawn(listener(report.id))
        await self.notices.watchers(session_id, report_frame(report.id, report.message_id, report.reason, room_id))
