"""Translation in rooms: a message goes out with its translations, one per language, once they passed moderation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from rooms.connection import Connection
from rooms.database import Database
from rooms.hub import Hub
from rooms.models import Message, MessageData, ModerationAction, ModerationState, as_row
from rooms.moderation import Action, MessageContext, Moderator
from rooms.protocol import dumps, flagged_frame, withdrawn_frame
from rooms.store import room_members
from rooms.translation_state import TranslationStates
from translation.detect import detect_language
from translation.service import TranslationResult, TranslationService

log = logging.getLogger(__name__)
_ROOM_LANG_TTL = 10.0


class RoomTranslator:
    """Translates each message once per language its room needs, then re-checks the translations.

    A missing language pack or a full queue is said once to the room (`TranslationStates`), not under every
    message: only a translation that timed out or failed gets its own `translation` frame with an error.
    """

    def __init__(
        self, service: TranslationService, hub: Hub, db: Database, moderator: Callable[[int], Moderator]
    ) -> None:
        self.service = service
        self.hub = hub
        self.db = db
        self.moderator = moderator
        self._room_languages: dict[int, tuple[float, frozenset[str]]] = {}
        self._tails: dict[int, asyncio.Future[None]] = {}  # per room: the delivery the next one waits for
        self.states = TranslationStates()

    def languages(self) -> set[str]:
        return set(self.service.languages())

    def detect(self, text: str, candidates: Sequence[str], fallback: str | None) -> str | None:
        if fallback is None or not self.service.translator.available_pairs():
            return fallback  # nothing could translate it: guessing the language would only cost CPU
        pool = set(candidates) | {fallback}
        return detect_language(text, sorted(pool), fallback)

    def forget_room(self, room_id: int) -> None:
        self._room_languages.pop(room_id, None)

    async def _targets(self, room_id: int) -> frozenset[str]:
        cached = self._room_languages.get(room_id)
        if cached is not None and time.monotonic() - cached[0] < _ROOM_LANG_TTL:
            return cached[1]
        members = await self.db.run(room_members, room_id)
        languages = frozenset(m.languages[0] for m in members if m.languages)
        self._room_languages[room_id] = (time.monotonic(), languages)
        return languages

    async def deliver(
        self,
        session_id: int,
        message: MessageData,
        sender: dict[str, Any] | None,
        sent_at: float,
        publish_original: Callable[[], Awaitable[None]],
        translate: bool = True,
    ) -> None:
        """Deliver a stored message with its translations, once the translations passed moderation too.

        No student may receive text that is later withdrawn because its translation revealed contact details or a
        slur, so the original waits for its translations (at most the translation timeout; a failed or missing
        translation releases the original alone). Translations run concurrently; publishing keeps the room's
        order, each message waiting for the one before it. ``sent_at`` is the first moderation pass's.
        """
        room = message.room_id
        previous = self._tails.get(room)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[room] = mine
        try:
            frames, hold_reason = (
                await self._checked_translations(session_id, message, sent_at) if translate else ([], None)
            )
            if previous is not None:
                await previous
            if hold_reason is not None:
                await self._withdraw(session_id, message, hold_reason, sender)
                return
            await publish_original()
            for frame in frames:  # translations, then what the room is told once (no pack, overloaded)
                await self.hub.to_room(session_id, room, frame)
        finally:
            mine.set_result(None)
            if self._tails.get(room) is mine:
                del self._tails[room]

    async def _checked_translations(
        self, session_id: int, message: MessageData, sent_at: float
    ) -> tuple[list[dict[str, Any]], str | None]:
        """(translation frames and room notices, None), or ([], reason) when a translation reveals what moderation
        stops."""
        if message.language is None or message.id is None:
            return [], None
        targets = {t for t in await self._targets(message.room_id) if t != message.language}
        if not targets:
            return [], None
        try:
            results = await self.service.translate(message.text, message.language, targets)
        except Exception:
            log.exception("translation of message %s failed", message.id)
            return [], None
        done = {lang: r.text for lang, r in results.items() if r.text is not None}
        if done:
            verdict = await self.moderator(session_id).moderate(
                MessageContext(
                    text=message.text,
                    language=message.language,
                    participant_id=message.participant_id or 0,
                    room_id=message.room_id,
                    session_id=session_id,
                    sent_at=sent_at,
                    translations=done,
                )
            )
            if verdict.action in (Action.HOLD, Action.BLOCK):
                return [], verdict.reason or "translation"
        notices = self.states.outcome(message.room_id, message.language, {t: r.error for t, r in results.items()})
        return _frames(message, results.values()) + notices, None

    def health(self, room_id: int, languages: Iterable[str]) -> dict[str, Any]:
        """One room's translation state for the facilitator console (see `TranslationStates.health`)."""
        return self.states.health(room_id, languages, self.service.translator.can_translate)

    def queue_state(self) -> dict[str, Any]:
        """The translation queue as the console shows it (see `TranslationService.state`)."""
        return self.service.state()

    async def translate_for(self, conn: Connection, message: Message) -> None:
        """Resume path: translate one missed message into this reader's language (usually a cache hit)."""
        if not conn.languages or message.language is None or conn.languages[0] == message.language:
            return
        results = await self.service.translate(message.text, message.language, [conn.languages[0]])
        for frame in _frames(message, results.values()):
            conn.send(dumps(frame))

    async def _withdraw(
        self, session_id: int, message: MessageData, reason: str | None, sender: dict[str, Any] | None
    ) -> None:
        """A translation revealed what the original hid: hold the message for review. Only its sender has it (their
        own copy, from the ack): `withdrawn` tells them; the rest of the room never received it."""
        await self.db.run(_hold, message.id, reason, session_id)
        if message.participant_id is not None:
            await self.hub.to_participant(
                session_id,
                message.participant_id,
                withdrawn_frame(message.id, message.room_id, reason or "translation"),
            )
        flagged = replace(as_row(message), state=ModerationState.HELD, reason=reason)
        await self.hub.to_watchers(session_id, flagged_frame(flagged, sender or {}))


def _frames(message: MessageData, results: Iterable[TranslationResult]) -> list[dict[str, Any]]:
    """One `translation` frame per language translated, or failed on its own; a missing pack and a full queue are
    said once to the room instead (`TranslationStates`)."""
    frames = []
    for result in results:
        if result.error in ("unavailable", "busy"):
            continue
        frame: dict[str, Any] = {
            "type": "translation",
            "id": message.id,
            "room": message.room_id,
            "source": message.language,
            "lang": result.target,
        }
        if message.seq is not None:  # the room position of the message it follows: each socket gets it after that
            frame["seq"] = message.seq
        if result.text is not None:
            frame["text"] = result.text
        else:
            frame["error"] = result.error
        frames.append(frame)
    return frames


def _hold(db: Any, message_id: int, reason: str | None, session_id: int) -> None:
    message = db.get(Message, message_id)
    if message is None:
        return
    message.state = ModerationState.HELD
    message.reason = reason
    db.add(message)
    db.add(
        ModerationAction(
            session_id=session_id,
            room_id=message.room_id,
            message_id=message_id,
            participant_id=message.participant_id,
            action="withdraw",
            reason=f"translation revealed: {reason}",
        )
    )
    db.commit()
