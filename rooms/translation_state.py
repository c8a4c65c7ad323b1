"""Each room's translation health: what its members were told once (no pack, overloaded) and what the console shows."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from rooms.protocol import event_frame

BUSY_NOTICE_EVERY: Final = 60.0  # seconds between two "overloaded" notices in one room
BUSY_SHOWN_FOR: Final = 60.0  # the console shows a room as overloaded this long after its last refused translation
_ROOMS_KEPT: Final = 10_000

Health = Literal["off", "not_needed", "ok", "unavailable", "busy"]


@dataclass
class _Room:
    told_missing: set[tuple[str, str]] = field(default_factory=set)
    busy_at: float | None = None
    busy_told_at: float | None = None
    translated: int = 0
    failed: int = 0


class TranslationStates:
    """Turns translation outcomes into room notices said once, instead of an error under every message.

    A pair with no language pack is said once per room (`translation_unavailable`, to the members and the
    facilitators watching); a full queue at most once a minute per room (`translation_busy`); the message itself
    still goes out in the original. Kept per process, for the last 10,000 rooms that translated.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rooms: OrderedDict[int, _Room] = OrderedDict()

    def outcome(self, room_id: int, source: str, errors: dict[str, str | None]) -> list[dict[str, Any]]:
        """Record one message's results (target -> error code or None) and return the notices to send its room."""
        room = self._room(room_id)
        notices: list[dict[str, Any]] = []
        busy = False
        for target, error in errors.items():
            if error is None:
                room.translated += 1
            elif error == "unavailable":
                if (source, target) not in room.told_missing:
                    room.told_missing.add((source, target))
                    notices.append(event_frame("translation_unavailable", room=room_id, source=source, lang=target))
            elif error == "busy":
                busy = True
            else:
                room.failed += 1
        if busy:
            now = self._clock()
            room.busy_at = now
            if room.busy_told_at is None or now - room.busy_told_at >= BUSY_NOTICE_EVERY:
                room.busy_told_at = now
                notices.append(event_frame("translation_busy", room=room_id))
        return notices

    def health(
        self, room_id: int, languages: Iterable[str], can_translate: Callable[[str, str], bool] | None
    ) -> dict[str, Any]:
        """The console's view of one room: `state`, the `missing` pairs among its members' languages, and counts.

        `languages` are the members' first languages; `can_translate` is None when translation is off.
        """
        codes = sorted(set(languages))
        room = self._rooms.get(room_id) or _Room()
        missing = [] if can_translate is None else [
            [s, t] for s in codes for t in codes if s != t and not can_translate(s, t)
        ]  # fmt: skip
        state: Health
        if can_translate is None:
            state = "off"
        elif len(codes) < 2:
            state = "not_needed"
        elif room.busy_at is not None and self._clock() - room.busy_at < BUSY_SHOWN_FOR:
            state = "busy"
        elif missing:
            state = "unavailable"
        else:
            state = "ok"
        return {"state": state, "missing": missing, "translated": room.translated, "failed": room.failed}

    def _room(self, room_id: int) -> _Room:
        room = self._rooms.pop(room_id, None) or _Room()
        self._rooms[room_id] = room
        while len(self._rooms) > _ROOMS_KEPT:
            self._rooms.popitem(last=False)
        return room
