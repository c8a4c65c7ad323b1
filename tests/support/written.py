"""A test's stand-in for a socket: a `Connection` whose frames are recorded as the socket would be sent them."""

from __future__ import annotations

from typing import Any

from rooms.connection import Connection


class Frames(list[str]):
    """The frames written to one socket, in order."""

    async def send_text(self, text: str) -> None:
        self.append(text)


def recording(**fields: Any) -> Connection:
    """A connection that writes to a `Frames` (read them with `taken`)."""
    return Connection(Frames().send_text, **fields)


def taken(conn: Connection) -> list[str]:
    """The frames written to ``conn`` since the last call (a frame written at once or by its pump)."""
    frames = getattr(conn.send_text, "__self__", None)
    assert isinstance(frames, Frames)
    written = list(frames)
    frames.clear()
    return written
