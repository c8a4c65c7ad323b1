"""Room hub: local sockets by room and session, fed by the broker so every process sees every event.

Each live session is one broker channel (``s<id>``). A payload is ``<header>\n<frame json>``; the header is the
target, ``r<room>`` (room members and the session's watchers), ``p<participant>`` (one student), ``w`` (watchers
only) or ``a`` (everyone in the session), then for a room message `` m<id>:<seq>`` (``-`` for no position) and for a
control frame `` c``, so receivers route without parsing the JSON. Frames are serialised once by the publisher and
relayed as text.

The hub owns the broker-failure policy: a publish the broker refuses is delivered to this process's sockets at once
and never raises to the caller; a room message is also published again until the broker takes it, and sockets of
other processes read anything else they missed when the broker is back (``rooms.replay``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

from rooms.broker import Broker, BrokerUnavailable
from rooms.connection import Connection
from rooms.protocol import CLOSE_REPLACED, dumps

log = logging.getLogger(__name__)
ControlHandler = Callable[[Connection, dict[str, Any]], None]
MessageHandler = Callable[[Connection, int, int, str], None]  # (socket, room, position, frame text)


class Hub:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._in_process = broker.in_process
        self.rooms: dict[int, set[Connection]] = defaultdict(set)
        self.watchers: dict[int, set[Connection]] = defaultdict(set)
        self.session_members: dict[int, set[Connection]] = defaultdict(set)
        self.participants: dict[int, Connection] = {}
        self._channel_refs: dict[int, int] = defaultdict(int)
        self._control_handlers: list[ControlHandler] = []
        self._status_listeners: list[Callable[[bool], None]] = []
        self._message_handler: MessageHandler | None = None
        self._follow_up_handler: MessageHandler | None = None
        self._seen: dict[int, OrderedDict[int, None]] = {}  # per room: message ids already fanned out here
        self._unpublished: deque[tuple[str, str]] = deque(maxlen=_UNPUBLISHED_MAX)  # room messages to publish again
        self._republisher: asyncio.Task[None] | None = None
        self._local_only, self._warned_at = 0, -10.0
        self.broker_healthy = True

    async def start(self) -> None:
        await self.broker.start(self._on_broker_message, self._on_broker_status)

    async def stop(self) -> None:
        if self._republisher is not None:
            self._republisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._republisher
        await self.broker.stop()

    def on_control(self, handler: ControlHandler) -> None:
        """Register a handler that sees participant-targeted control frames before they are sent."""
        self._control_handlers.append(handler)

    def on_room_message(self, handler: MessageHandler) -> None:
        """Hand room message frames for student sockets to ``handler`` (which keeps each socket in order)."""
        self._message_handler = handler

    def on_room_follow_up(self, handler: MessageHandler) -> None:
        """Hand frames that follow a room message (its translations) to ``handler``, which sends each after it."""
        self._follow_up_handler = handler

    # -- membership -------------------------------------------------------------------------------

    async def retain_session(self, session_id: int) -> None:
        self._channel_refs[session_id] += 1
        if self._channel_refs[session_id] == 1:
            await self.broker.subscribe(f"s{session_id}")

    async def release_session(self, session_id: int) -> None:
        self._channel_refs[session_id] -= 1
        if self._channel_refs[session_id] <= 0:
            del self._channel_refs[session_id]
            await self.broker.unsubscribe(f"s{session_id}")

    async def attach(self, conn: Connection) -> None:
        assert conn.session_id is not None
        await self.retain_session(conn.session_id)
        if conn.is_watcher:
            self.watchers[conn.session_id].add(conn)
            return
        self.session_members[conn.session_id].add(conn)
        if conn.participant_id is not None:
            previous = self.participants.get(conn.participant_id)
            if previous is not None and previous is not conn:
                previous.close(CLOSE_REPLACED, "replaced")
            self.participants[conn.participant_id] = conn
        if conn.room_id is not None:
            self.rooms[conn.room_id].add(conn)

    async def detach(self, conn: Connection) -> None:
        if conn.session_id is None:
            return
        if conn.is_watcher:
            self.watchers[conn.session_id].discard(conn)
        else:
            self.session_members[conn.session_id].discard(conn)
            if conn.participant_id is not None and self.participants.get(conn.participant_id) is conn:
                del self.participants[conn.participant_id]
            self.move(conn, None)
        await self.release_session(conn.session_id)

    def move(self, conn: Connection, room_id: int | None) -> None:
        if conn.room_id is not None:
            members = self.rooms.get(conn.room_id)
            if members is not None:
                members.discard(conn)
                if not members:
                    del self.rooms[conn.room_id]
                    self._seen.pop(conn.room_id, None)
        conn.room_id = room_id
        if room_id is not None:
            self.rooms[room_id].add(conn)

    # -- publishing -------------------------------------------------------------------------------

    async def publish(self, session_id: int, target: str, frame: dict[str, Any]) -> None:
        """Send ``frame`` to ``target`` in ``session_id`` across every process (see module docstring). Never raises
        for a broker outage: this process's sockets get the frame at once, the others when the broker is back."""
        mark, message_id, seq = _marks(target, frame)
        text, channel = dumps(frame), f"s{session_id}"
        if self._in_process:  # one process: route the parts as they are, no payload to write and read back
            if self.broker.delivers(channel):
                self._route(session_id, target, mark, message_id, seq, text)
            return
        payload = f"{_header(target, mark, message_id, seq)}\n{text}"
        try:
            await self.broker.publish(channel, payload)
        except BrokerUnavailable:
            self._outage_log(session_id)
            self._route(session_id, target, mark, message_id, seq, text)
            if mark == "m":  # a room message: receivers keep it once (feed, first_sight)
                self._republish_later(channel, payload)

    def _outage_log(self, session_id: int) -> None:
        now = time.monotonic()
        self._local_only += 1
        if now - self._warned_at >= 10:  # at most one line per 10 s, however many frames an outage holds
            log.warning(
                "broker unavailable; delivering locally only (%d frames so far, session %s)",
                self._local_only,
                session_id,
            )
            self._warned_at = now

    def _republish_later(self, channel: str, payload: str) -> None:
        self._unpublished.append((channel, payload))
        if self._republisher is None or self._republisher.done():
            self._republisher = asyncio.create_task(self._republish(), name="hub-republish")

    async def _republish(self) -> None:
        """Publish the held room messages, oldest first, retrying (up to every 2 s) until the broker takes each."""
        delay = _REPUBLISH_FIRST_DELAY
        await asyncio.sleep(delay)
        while self._unpublished:
            channel, payload = self._unpublished[0]
            try:
                await self.broker.publish(channel, payload)
            except BrokerUnavailable:
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)
                continue
            delay = _REPUBLISH_FIRST_DELAY
            if self._unpublished and self._unpublished[0] == (channel, payload):
                self._unpublished.popleft()

    @property
    def unpublished(self) -> int:
        """Room messages delivered only locally so far and waiting to be published again."""
        return len(self._unpublished)

    async def to_room(self, session_id: int, room_id: int, frame: dict[str, Any]) -> None:
        await self.publish(session_id, f"r{room_id}", frame)

    async def to_participant(self, session_id: int, participant_id: int, frame: dict[str, Any]) -> None:
        await self.publish(session_id, f"p{participant_id}", frame)

    async def to_watchers(self, session_id: int, frame: dict[str, Any]) -> None:
        await self.publish(session_id, "w", frame)

    async def to_session(self, session_id: int, frame: dict[str, Any]) -> None:
        await self.publish(session_id, "a", frame)

    # -- delivery ---------------------------------------------------------------------------------

    def on_broker_status(self, listener: Callable[[bool], None]) -> None:
        """Register a listener told when cross-process delivery is lost (False) and back (True)."""
        self._status_listeners.append(listener)

    def _on_broker_status(self, healthy: bool) -> None:
        self.broker_healthy = healthy
        for listener in self._status_listeners:
            listener(healthy)
        code = "broker_restored" if healthy else "broker_unavailable"
        text = dumps({"type": "event", "event": code})
        for members in self.session_members.values():
            for conn in list(members):
                conn.send(text)

    def _on_broker_message(self, channel: str, payload: str) -> None:
        if not channel.startswith("s"):
            return
        try:
            session_id = int(channel[1:])
            header, _, text = payload.partition("\n")
            target, _, kind_of_frame = header.partition(" ")
        except ValueError:
            return
        mark, message_id, seq = kind_of_frame[:1], 0, None
        if mark == "m":
            message_id, seq = _position(kind_of_frame)
        elif mark == "t":
            seq = int(kind_of_frame[1:])
        self._route(session_id, target, mark, message_id, seq, text)

    def _route(self, session_id: int, target: str, mark: str, message_id: int, seq: int | None, text: str) -> None:
        """Hand a frame's text to this process's sockets of ``target``; ``mark`` as in a payload's header: "m" a
        room message (``message_id`` at position ``seq``), "t" what follows position ``seq``, "c" control, "" else."""
        kind = target[:1]
        control = mark == "c"
        if kind == "r":
            room_id = int(target[1:])
            members = self.rooms.get(room_id)
            if mark == "m":
                first = bool(members or self.watchers.get(session_id)) and self.first_sight(room_id, message_id)
                if self._message_handler is not None and seq is not None:
                    for conn in list(members or ()):
                        self._message_handler(conn, room_id, seq, text)
                elif first:
                    self._fan_out(members or (), text)
                if first:  # the same message twice (a publish retried, a local fallback): watchers see it once
                    self._fan_out(self.watchers.get(session_id, ()), text)
                return
            if mark == "t" and self._follow_up_handler is not None and seq is not None:
                for conn in list(members or ()):
                    self._follow_up_handler(conn, room_id, seq, text)
            else:
                self._fan_out(members or (), text, control)
            self._fan_out(self.watchers.get(session_id, ()), text)
        elif kind == "p":
            member = self.participants.get(int(target[1:]))
            if member is not None:
                self._fan_out((member,), text, control)
        elif kind == "w":
            self._fan_out(self.watchers.get(session_id, ()), text)
        elif kind == "a":
            self._fan_out(self.session_members.get(session_id, ()), text, control)
            self._fan_out(self.watchers.get(session_id, ()), text)

    def first_sight(self, room_id: int, message_id: int) -> bool:
        """True the first time this process delivers ``message_id`` to its members of ``room_id``.

        Remembers the last few hundred ids per room, and only for rooms with members here, so memory stays bounded.
        """
        seen = self._seen.get(room_id)
        if seen is None:
            seen = self._seen[room_id] = OrderedDict()
        if message_id in seen:
            return False
        seen[message_id] = None
        if len(seen) > _SEEN_PER_ROOM:
            seen.popitem(last=False)
        return True

    def _fan_out(self, conns: Iterable[Connection], text: str, control: bool = False) -> None:
        """Send one serialised frame to each socket; a control frame then updates each student socket's state.

        The frame goes first so that a student who is being closed (banned, removed) still reads why.
        """
        frame = json.loads(text) if control and self._control_handlers else None
        for conn in list(conns):
            conn.send(text)
            if frame is not None:
                for handler in self._control_handlers:
                    handler(conn, frame)


_SEEN_PER_ROOM = 256
_UNPUBLISHED_MAX = 10_000  # past this the oldest are left to the receivers' gap reads and resume
_REPUBLISH_FIRST_DELAY = 0.1
# Frames that change a student socket's state (rooms.control) or its room's roster (rooms.roster).
_CONTROL_TYPES = frozenset({"event", "paired", "presence"})


def _marks(target: str, frame: dict[str, Any]) -> tuple[str, int, int | None]:
    """What a payload's header says of ``frame`` besides its target: (mark, message id, position); see `_route`."""
    kind = frame.get("type")
    if kind == "message" and target[:1] == "r":
        return "m", frame["id"], frame.get("seq")
    if kind == "translation" and target[:1] == "r" and isinstance(frame.get("seq"), int):
        return "t", 0, frame["seq"]
    return ("c" if kind in _CONTROL_TYPES else ""), 0, None


def _header(target: str, mark: str, message_id: int, seq: int | None) -> str:
    """The routing line of a payload: target, then the message's id and position, ``t`` and the position of the
    message a translation follows, or ``c`` for a control frame."""
    if mark == "m":
        return f"{target} m{message_id}:{'-' if seq is None else seq}"
    if mark == "t":
        return f"{target} t{seq}"
    return f"{target} c" if mark == "c" else target


def _position(kind_of_frame: str) -> tuple[int, int | None]:
    """(id, seq) from a header's ``m<id>:<seq>``."""
    message_id, _, seq = kind_of_frame[1:].partition(":")
    return int(message_id), None if seq == "-" else int(seq)
