"""Telling sockets what happened: each notice is a frame from ``rooms.protocol`` sent through the hub.

Routes and the room lifecycle call these instead of building frames; with the broker down the hub has already
delivered locally and the rest catch up through resume, so a notice never fails its caller.
"""

from __future__ import annotations

import logging
from typing import Any

from rooms.hub import Hub
from rooms.models import Message, Participant
from rooms.protocol import (
    event_frame,
    message_frame,
    paired_frame,
    presence_frame,
    room_opened_frame,
    room_view,
    student_frame,
    withdrawn_frame,
)

log = logging.getLogger(__name__)


class Notices:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    # -- targets (the hub owns broker outages: these never raise for one) --------------------------------------

    async def room(self, session_id: int, room_id: int, frame: dict[str, Any]) -> None:
        await self.hub.publish(session_id, f"r{room_id}", frame)  # as `Hub.to_room`, one coroutine less a message

    async def student(self, session_id: int, participant_id: int, frame: dict[str, Any]) -> None:
        await self.hub.to_participant(session_id, participant_id, frame)

    async def watchers(self, session_id: int, frame: dict[str, Any]) -> None:
        await self.hub.to_watchers(session_id, frame)

    async def session(self, session_id: int, frame: dict[str, Any]) -> None:
        await self.hub.to_session(session_id, frame)

    # -- room membership ------------------------------------------------------------------------------------

    async def presence(self, session_id: int, room_id: int, pid: int, state: str, name: str | None = None) -> None:
        await self.room(session_id, room_id, presence_frame(room_id, pid, state, name))

    async def seated(
        self, session_id: int, room_id: int, members: list[Participant], slow_mode: int = 0, seq: int | None = None
    ) -> None:
        """Everyone in the room gets its (new) member list; watchers see the room. ``seq``: see ``room_view``."""
        view = room_view(room_id, members, slow_mode, seq)
        for member in members:
            assert member.id is not None
            await self.student(session_id, member.id, paired_frame(view))
        await self.watchers(session_id, room_opened_frame(view))

    async def students(self, session_id: int, participants: list[Participant]) -> None:
        """Watchers see each student's state as it is now (status, room, mute), after any change to it."""
        for participant in participants:
            await self.watchers(session_id, student_frame(participant))

    async def event(self, session_id: int, pid: int, event: str, **fields: Any) -> None:
        await self.student(session_id, pid, event_frame(event, **fields))

    async def room_event(self, session_id: int, room_id: int, event: str, **fields: Any) -> None:
        await self.room(session_id, room_id, event_frame(event, room=room_id, **fields))

    # -- facilitator notices --------------------------------------------------------------------------------

    async def warned(self, session_id: int, pid: int, text: str) -> None:
        await self.event(session_id, pid, "warned", text=text)

    async def muted(self, session_id: int, pid: int, until: str | None) -> None:
        if until is None:
            await self.event(session_id, pid, "unmuted")
        else:
            await self.event(session_id, pid, "muted", until=until)

    async def slow_mode(self, session_id: int, room_id: int, seconds: int) -> None:
        await self.room_event(session_id, room_id, "slow_mode", seconds=seconds)

    async def session_event(self, session_id: int, event: str, **fields: Any) -> None:
        """A session-wide event (opened, paused, resumed, closed, prompt) for every student and watcher."""
        await self.session(session_id, event_frame(event, **fields))

    async def posted(self, session_id: int, messages: list[Message]) -> None:
        """Facilitator messages (announcements, prompts) stored in each room: show them there."""
        for message in messages:
            await self.room(session_id, message.room_id, message_frame(message, None))

    async def withdrawn(self, session_id: int, message: Message, reason: str) -> None:
        await self.room(session_id, message.room_id, withdrawn_frame(message.id, message.room_id, reason))
