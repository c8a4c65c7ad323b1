"""Keeping a socket's cached state in step with the control frames it is sent (from any process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rooms.connection import Connection
from rooms.hub import Hub
from rooms.protocol import CLOSE_AUTH_FAILED, CLOSE_FORBIDDEN, CLOSE_SESSION_ENDED


def apply_control(hub: Hub, conn: Connection, frame: dict[str, Any]) -> None:
    """Mutes, slow mode, pauses, room changes and removals take effect on the socket the moment they arrive."""
    if frame.get("type") == "paired":
        room = frame.get("room") or {}
        hub.move(conn, room.get("id"))
        conn.slow_mode_seconds = int(room.get("slow_mode", 0))
        return
    if frame.get("type") != "event":
        return
    event = frame.get("event")
    if event == "muted":
        conn.muted_until = datetime.fromisoformat(str(frame["until"]))
    elif event == "unmuted":
        conn.muted_until = None
    elif event == "slow_mode":
        conn.slow_mode_seconds = int(frame.get("seconds", 0))
    elif event in ("room_closed", "repairing", "moved_out"):
        hub.move(conn, None)
    elif event in ("removed", "banned"):
        hub.move(conn, None)
        conn.close(CLOSE_FORBIDDEN, str(event))
    elif event == "left":  # the student pressed Leave (maybe in another tab): their token is revoked
        hub.move(conn, None)
        conn.close(CLOSE_AUTH_FAILED, "left")
    elif event == "session_closed":
        conn.close(CLOSE_SESSION_ENDED, "session_closed")
    elif event == "session_paused":
        conn.paused = True
    elif event in ("session_resumed", "session_opened"):
        conn.paused = False
