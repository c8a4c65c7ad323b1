"""The live core of one process, wired: lobby, room lifecycle, sockets, message pipeline, reports and replay.

Each concern lives in its own module; this one builds them in order, routes a student's frames to the right
one and tears them down in reverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rooms.config import RoomsConfig
from rooms.connection import Connection
from rooms.control import apply_control
from rooms.database import Database
from rooms.feed import RoomFeed
from rooms.frame_limits import ANSWERED, FrameLimits
from rooms.heartbeat import Heartbeats
from rooms.hub import Hub
from rooms.lifecycle import Lifecycle, LifecycleConfig
from rooms.lobby import Lobby, LobbyConfig
from rooms.models import Message
from rooms.notices import Notices
from rooms.parsing import FrameError, get_int
from rooms.pipeline import MessagePipeline
from rooms.presence import Presence
from rooms.protocol import PONG, dumps, rate_limited_frame
from rooms.replay import OutageReplay
from rooms.reports import ReportListener, Reports
from rooms.roster import RoomRosters
from rooms.session_moderation import SessionModerators
from rooms.sessions import Sessions
from rooms.tasks import Tasks
from rooms.translate import RoomTranslator
from rooms.writer import BatchWriter

__all__ = ["RoomService", "RoomsConfig"]


class RoomService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        writer: BatchWriter,
        moderators: SessionModerators,
        translator: RoomTranslator | None,
        config: RoomsConfig,
        report_listeners: Sequence[ReportListener] = (),
    ) -> None:
        self.db, self.hub, self.moderators, self.translator, self.config = db, hub, moderators, translator, config
        self.tasks = Tasks()
        stale_after = config.heartbeat_interval + max(2.0, config.heartbeat_interval / 2)
        self.notices = Notices(hub)
        self.lobby = Lobby(
            db,
            hub,
            self.notices,
            LobbyConfig(
                cross_country_wait=config.cross_country_wait,
                same_country_rooms=config.same_country_rooms,
                stale_after=stale_after,
            ),
        )
        self.lifecycle = Lifecycle(
            db,
            hub,
            self.lobby,
            self.notices,
            LifecycleConfig(reconnect_grace=config.reconnect_grace, repair_grace=config.repair_grace),
            self.tasks,
            self._forget,
        )
        self.feed = RoomFeed(db, translator, self.tasks)
        self.sessions = Sessions(db, self.lifecycle, moderators, translator, self.feed, self.tasks)
        self.reports = Reports(db, self.notices, self.tasks, report_listeners)
        rosters = RoomRosters(db)
        self.pipeline = MessagePipeline(
            db,
            writer,
            self.notices,
            moderators.for_session,
            translator,
            config,
            self.tasks,
            rosters,
            self.reports.alert,
        )
        self.frame_limits = FrameLimits()
        self.heartbeats = Heartbeats(config.heartbeat_interval, config.heartbeat_timeout)
        self.replay = OutageReplay(hub, self.feed)
        self.presence = Presence(
            db,
            hub,
            self.lifecycle,
            interval=config.heartbeat_interval,
            stale_after=stale_after,
            sweep_after=config.heartbeat_timeout + config.reconnect_grace + stale_after,
        )
        hub.on_control(lambda conn, frame: apply_control(hub, conn, frame))
        hub.on_control(rosters.on_control)
        hub.on_control(self.feed.on_control)
        hub.on_room_message(self.feed.offer)
        hub.on_room_follow_up(self.feed.follow)

    def start(self) -> None:
        self.tasks.spawn(self.presence.run())
        self.tasks.spawn(self.heartbeats.run())

    async def open_participant(
        self, conn: Connection, participant_id: int, nonce: str, last_id: int, last_seq: int | None = None
    ) -> bool:
        return await self.sessions.open(conn, participant_id, nonce, last_id, last_seq)

    async def closed(self, conn: Connection) -> None:
        await self.sessions.closed(conn)

    async def deliver(self, session_id: int, stored: Message, sender: dict[str, Any] | None, sent_at: float) -> None:
        await self.pipeline.deliver(session_id, stored, sender, sent_at)

    async def handle(self, conn: Connection, frame: dict[str, Any]) -> None:
        """One client frame of an authenticated student socket (docs/protocol.md §3)."""
        kind = frame["type"]
        if conn.participant_id is not None:
            wait = self.frame_limits.retry_after(kind, conn.participant_id)
            if wait is not None:
                if kind in ANSWERED:
                    conn.send(dumps(rate_limited_frame(kind, wait)))
                return
        if kind == "send":
            await self.pipeline.send(conn, frame)
        elif kind == "typing":
            await self.pipeline.typing(conn)
        elif kind == "resume":
            last_seq = get_int(frame, "last_seq", required=False)
            await self.sessions.send_history(conn, get_int(frame, "last_id", required=False) or 0, last_seq)
        elif kind == "report":
            await self.reports.report(conn, frame)
        elif kind == "ping":
            conn.send(PONG)
        elif kind == "leave":
            if conn.session_id is None or conn.participant_id is None:
                raise FrameError("not_authenticated")
            await self.lifecycle.leave(conn.session_id, conn.participant_id, conn.nonce)
        elif kind == "pong":
            pass  # the answer to the server's heartbeat ping: hearing it is all that counts
        elif kind == "hello":
            raise FrameError("bad_frame", "already authenticated")
        else:
            raise FrameError("unknown_type")

    def _forget(self, participant_id: int) -> None:
        self.moderators.forget_participant(participant_id)
        self.pipeline.limiter.forget(participant_id)
        self.frame_limits.forget(participant_id)

    async def aclose(self) -> None:
        await self.lobby.aclose()
        await self.lifecycle.aclose()
