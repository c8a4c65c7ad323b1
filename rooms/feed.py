"""A room's messages onto one socket in position order, each once: catch-up in flow-controlled pages, then live."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from rooms.connection import Connection
from rooms.database import Database
from rooms.models import Message, MessageKind
from rooms.protocol import dumps, message_frame, resumed_frame
from rooms.store import catch_up_page, position_of
from rooms.tasks import Tasks
from rooms.translate import RoomTranslator

CATCH_UP_PAGE: Final = 100  # messages a page at most (a quarter of the send queue when that is smaller)
CATCH_UP_LIMIT: Final = 5000  # a catch-up starts at most this many positions before the room's newest
TRANSLATE_BACK: Final = 50  # only the newest messages of a catch-up are translated for the reader
# Seconds a live frame past a gap waits for the missing ones before the database is read. Under load a frame of the
# other process is often later than 50 ms (2,000 msgs/s, two processes: 2,000-3,700 reads of the database per
# process in 35 s at 50 ms, 400-500 at 250 ms); a gap that stays open (a publisher gone) costs its room this much.
GAP_WAIT: Final = 0.25
EARLY_MAX: Final = 32  # live frames past a gap kept meanwhile (more: read the database at once)
FOLLOW_MAX: Final = 64  # translations kept for messages not sent yet (more: the catch-up translates again)


@dataclass(eq=False)
class _Cursor:
    room_id: int
    seq: int  # the newest position this socket has been sent (or asked to start after)
    catching_up: bool = False
    sent: bool = True  # False until the first catch-up: ``seq`` is then no promise of frames already sent
    wanted: int = 0  # the newest position announced live while the socket was catching up
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    early: dict[int, str] = field(default_factory=dict)  # live frames past a gap, by position
    gap_timer: asyncio.TimerHandle | None = None
    after: dict[int, list[str]] = field(default_factory=dict)  # frames that follow a message not sent yet, by position


class RoomFeed:
    """Owns each student socket's position in its room.

    Live message frames pass through ``offer``: one at the next position is sent at once; an older one is dropped
    (the socket has it: a retried publish, a replay, a catch-up that read it first); a newer one means a position
    in between was published later (by another process) or not at all, so the socket reads the gap from the
    database, where every position below a published one is already committed (see ``rooms.models``). The gap
    is usually a message of another process still on its way (two senders of a room on two processes, each
    delivering its own at once), so a frame past a gap first waits ``GAP_WAIT`` for the missing ones; only if they
    do not come is the database read. While a socket catches up, live frames are not queued; they only raise the
    position the catch-up must reach.
    """

    def __init__(self, db: Database, translator: RoomTranslator | None, tasks: Tasks) -> None:
        self.db, self.translator, self._tasks = db, translator, tasks
        self._cursors: dict[Connection, _Cursor] = {}

    def hold(self, conn: Connection, room_id: int) -> None:
        """Before a socket is attached to its room: withhold live messages until its catch-up has run."""
        self._cursors[conn] = _Cursor(room_id, 0, catching_up=True, sent=False)

    def on_control(self, conn: Connection, frame: dict[str, Any]) -> None:
        """A hub control handler: a socket seated in a new room starts at the position ``paired`` gives (0), not at
        its first live frame, which may be the room's second message (its first still on its way from another
        process, or published before this process moved the socket into the room and so not routed to it)."""
        room = frame.get("room") if frame.get("type") == "paired" else None
        if not isinstance(room, dict) or not isinstance(room.get("seq"), int) or not isinstance(room.get("id"), int):
            return
        cursor = self._cursors.get(conn)
        if cursor is None or cursor.room_id != room["id"]:
            if cursor is not None:
                _drop_early(cursor)
            self._cursors[conn] = _Cursor(room["id"], room["seq"])

    def forget(self, conn: Connection) -> None:
        cursor = self._cursors.pop(conn, None)
        if cursor is not None:
            _drop_early(cursor)

    def offer(self, conn: Connection, room_id: int, seq: int, text: str) -> None:
        """A live message frame at position ``seq`` of ``room_id`` for ``conn`` (called by the hub)."""
        cursor = self._cursors.get(conn)
        if cursor is None or cursor.room_id != room_id:  # seated in this room while connected: start here
            cursor = self._cursors[conn] = _Cursor(room_id, seq - 1)
        if cursor.catching_up:
            cursor.wanted = max(cursor.wanted, seq)
        elif seq == cursor.seq + 1:
            cursor.seq = seq
            conn.send(text)
            early = cursor.early
            while early and (text := early.pop(cursor.seq + 1, "")):  # the gap is closed: what waited follows
                self._send_after(conn, cursor)
                cursor.seq += 1
                conn.send(text)
            if not early:
                _drop_early(cursor)
            if cursor.after:
                self._send_after(conn, cursor)
        elif seq > cursor.seq + 1:
            cursor.wanted = max(cursor.wanted, seq)
            if len(cursor.early) < EARLY_MAX:
                cursor.early[seq] = text
                if cursor.gap_timer is None:
                    loop = asyncio.get_running_loop()
                    cursor.gap_timer = loop.call_later(GAP_WAIT, self._gap_still_open, conn, cursor)
                return
            self._start_fill(conn, cursor)

    def follow(self, conn: Connection, room_id: int, seq: int, text: str) -> None:
        """A frame that follows the message at ``seq`` (its translation): sent after it, never before.

        Without this a translation overtook its message whenever the message waited in a gap (a message before it
        held by moderation leaves its position unpublished) or in a catch-up.
        """
        cursor = self._cursors.get(conn)
        if cursor is None or cursor.room_id != room_id or (seq <= cursor.seq and not cursor.catching_up):
            conn.send(text)
        elif sum(map(len, cursor.after.values())) < FOLLOW_MAX:
            cursor.after.setdefault(seq, []).append(text)
        else:  # a reader this far behind gets its translations again with its catch-up (``_translate``)
            return

    def _send_after(self, conn: Connection, cursor: _Cursor) -> None:
        """Send what follows the messages up to the socket's position, in position order."""
        for seq in sorted(s for s in cursor.after if s <= cursor.seq):
            for text in cursor.after.pop(seq):
                conn.send(text)

    def _gap_still_open(self, conn: Connection, cursor: _Cursor) -> None:
        cursor.gap_timer = None
        if cursor.early and not cursor.catching_up and self._cursors.get(conn) is cursor:
            self._start_fill(conn, cursor)

    def _start_fill(self, conn: Connection, cursor: _Cursor) -> None:
        """Read the gap from the database (the frames that waited are read again there, in order)."""
        _drop_early(cursor)
        cursor.catching_up = True
        self._tasks.spawn(self._fill(conn, cursor))

    def refresh(self, conn: Connection) -> None:
        """Read whatever is newer than the socket's position (after a broker outage: live frames were lost)."""
        cursor = self._cursors.get(conn)
        if cursor is not None and not cursor.catching_up:
            self._start_fill(conn, cursor)

    def resume_soon(self, conn: Connection, room_id: int, last_seq: int | None, last_id: int = 0) -> None:
        """``resume`` in a background task (the catch-up after hello)."""
        self._tasks.spawn(self.resume(conn, room_id, last_seq, last_id))

    async def resume(self, conn: Connection, room_id: int, last_seq: int | None, last_id: int = 0) -> None:
        """Send the room's messages after ``last_seq`` (or after message ``last_id``) in pages, then ``resumed``.

        Nothing this socket was already sent is sent again: a socket delivers in order, so what it was sent is
        either read by the client already or still on its way (docs/protocol.md "Delivery").
        """
        after = last_seq if last_seq is not None else await self.db.run(position_of, room_id, last_id)
        cursor = self._cursors.get(conn)
        if cursor is None or cursor.room_id != room_id:
            cursor = self._cursors[conn] = _Cursor(room_id, after, sent=False)
        _drop_early(cursor)
        cursor.catching_up = True
        async with cursor.lock:
            cursor.catching_up = True
            cursor.seq = max(cursor.seq, after) if cursor.sent else after
            cursor.sent = True
            newest = await self._pages(conn, cursor, limit_back=True)
            if self._cursors.get(conn) is cursor:
                conn.send(dumps(resumed_frame(room_id, newest.id if newest else last_id, cursor.seq)))

    async def _fill(self, conn: Connection, cursor: _Cursor) -> None:
        async with cursor.lock:
            await self._pages(conn, cursor, limit_back=False)

    async def _pages(self, conn: Connection, cursor: _Cursor, limit_back: bool) -> Message | None:
        """Send pages until the socket is at the room's newest position; then live frames flow again."""
        page_size = max(1, min(CATCH_UP_PAGE, conn.queue_size // 4))
        newest: Message | None = None
        recent: deque[Message] = deque(maxlen=TRANSLATE_BACK)
        try:
            while self._cursors.get(conn) is cursor and not conn.closed.is_set():
                await conn.wait_writable(2 * page_size)
                target = cursor.wanted  # committed before it was published, so this read sees it
                messages, names, last = await self.db.run(catch_up_page, cursor.room_id, cursor.seq, page_size)
                if limit_back and last - cursor.seq > CATCH_UP_LIMIT:
                    cursor.seq, limit_back = last - CATCH_UP_LIMIT, False
                    continue
                limit_back = False
                for message in messages:
                    sender = names.get(message.participant_id) if message.participant_id is not None else None
                    own = message.participant_id == conn.participant_id  # a reload matches its pending copy
                    conn.send(dumps(message_frame(message, sender, own=own)))
                    recent.append(message)
                    if cursor.after and message.seq is not None:
                        for text in cursor.after.pop(message.seq, ()):
                            conn.send(text)
                if messages:
                    newest = messages[-1]
                    cursor.seq = max(cursor.seq, newest.seq or 0)
                if len(messages) < page_size:
                    cursor.seq = max(cursor.seq, target)  # positions up to target not read are not visible
                    if cursor.wanted <= cursor.seq:
                        break
        finally:
            cursor.catching_up = False
        self._send_after(conn, cursor)
        self._translate(conn, recent)
        return newest

    def _translate(self, conn: Connection, messages: deque[Message]) -> None:
        if self.translator is None or conn.session_id is None:
            return
        for message in messages:
            if message.kind == MessageKind.CHAT and message.participant_id != conn.participant_id:
                self._tasks.spawn(self.translator.translate_for(conn, message))


def _drop_early(cursor: _Cursor) -> None:
    cursor.early.clear()
    if cursor.gap_timer is not None:
        cursor.gap_timer.cancel()
        cursor.gap_timer = None
