"""Translation in rooms: the original goes out at once, translations follow as frames, one per language."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rooms.broker import BrokerUnavailable
from rooms.clock import iso, utcnow
from rooms.connection import Connection
from rooms.database import Database
from rooms.hub import Hub
from rooms.models import Message, ModerationAction, ModerationState
from rooms.moderation import Action, MessageContext, Moderator
from rooms.protocol import dumps
from rooms.store import room_members
from translation.detect import detect_language
from translation.service import TranslationService

log = logging.getLogger(__name__)
_ROOM_LANG_TTL = 10.0


class RoomTranslator:
    """Translates each message once per language its room needs, then re-checks the translations."""

    def __init__(
        self, service: TranslationService, hub: Hub, db: Database, moderator: Callable[[int], Moderator]
    ) -> None:
        self.service = service
        self.hub = hub
        self.db = db
        self.moderator = moderator
        self._room_languages: dict[int, tuple[float, frozenset[str]]] = {}

    def languages(self) -> set[str]:
        return set(self.service.languages())

    def detect(self, text: str, candidates: Sequence[str], fallback: str | None) -> str | None:
        if fallback is None:
            return None
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

    async def translate_message(
        self, session_id: int, message: Message, sender: dict[str, Any] | None, sent_at: float
    ) -> None:
        """Translate into every other language of the room; ``sent_at`` is the first moderation pass's."""
        if message.language is None or message.id is None:
            return
        targets = {t for t in await self._targets(message.room_id) if t != message.language}
        if not targets:
            return
        try:
            results = await self.service.translate(message.text, message.language, targets)
        except Exception:
            log.exception("translation of message %s failed", message.id)
            return
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
                await self._withdraw(session_id, message, verdict.reason, sender)
                return
        for frame in _frames(message, results.values()):
            try:
                await self.hub.to_room(session_id, message.room_id, frame)
            except BrokerUnavailable:
                pass

    async def translate_for(self, conn: Connection, message: Message) -> None:
        """Resume path: translate one missed message into this reader's language (usually a cache hit)."""
        if not conn.languages or message.language is None or conn.languages[0] == message.language:
            return
        results = await self.service.translate(message.text, message.language, [conn.languages[0]])
        for frame in _frames(message, results.values()):
            conn.send(dumps(frame))

    async def _withdraw(
        self, session_id: int, message: Message, reason: str | None, sender: dict[str, Any] | None
    ) -> None:
        """A translation revealed what the original hid: take the message back and hold it for review."""
        await self.db.run(_hold, message.id, reason, session_id)
        await self.hub.to_room(
            session_id,
            message.room_id,
            {"type": "withdrawn", "id": message.id, "room": message.room_id, "reason": reason},
        )
        await self.hub.to_watchers(
            session_id,
            {
                "type": "flagged",
                "message": {
                    "id": message.id,
                    "room": message.room_id,
                    "from": sender,
                    "text": message.text,
                    "lang": message.language,
                    "reason": reason,
                    "ts": iso(utcnow()),
                },
            },
        )


def _frames(message: Message, results: Iterable[Any]) -> list[dict[str, Any]]:
    frames = []
    for result in results:
        frame: dict[str, Any] = {
            "type": "translation",
            "id": message.id,
            "room": message.room_id,
            "source": message.language,
            "lang": result.target,
        }
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
