"""The sockets this process serves, so that shutting down can tell each one why and wait until the last is gone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from rooms.connection import Connection
from rooms.protocol import CLOSE_SERVICE_RESTART, dumps, error_frame


class OpenSockets:
    """Added to by the socket routes when a socket opens, discarded from when its handler ends.

    ``grace`` is how long shutting down waits for the sockets to take their ``server_shutdown`` frame and go.
    """

    def __init__(self, grace: float = 2.0) -> None:
        self.grace = grace
        self._open: set[Connection] = set()
        self._none_open = asyncio.Event()
        self._none_open.set()

    def add(self, conn: Connection) -> None:
        self._open.add(conn)
        self._none_open.clear()

    def discard(self, conn: Connection) -> None:
        self._open.discard(conn)
        if not self._open:
            self._none_open.set()

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._open))

    def __len__(self) -> int:
        return len(self._open)

    async def shut_down(self) -> None:
        """Send every socket ``server_shutdown`` and close it 1012 (reconnect), then wait until all are gone.

        Each socket's writer sends the frame and closes; its route then discards it. Waiting (up to ``grace``)
        lets the frames go out before the services they came from stop.
        """
        text = dumps(error_frame("server_shutdown"))
        for conn in self:
            conn.send(text)
            conn.close(CLOSE_SERVICE_RESTART, "server_shutdown")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_open.wait(), self.grace)
