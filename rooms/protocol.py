"""WebSocket protocol v1: frame parsing, stable error codes and close codes (see docs/protocol.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from babel import localedata

PROTOCOL_VERSION: Final = 1
MAX_CLIENT_ID: Final = 64
MAX_JSON_DEPTH: Final = 4
# A client_id is a token, not text: it is echoed in frames, so no spaces, "@" or "/" (no sentence, e-mail or link).
CLIENT_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

# Close codes (4000-4999 are application-defined in RFC 6455).
CLOSE_AUTH_FAILED: Final = 4001
CLOSE_FORBIDDEN: Final = 4003
CLOSE_POLICY: Final = 4008
CLOSE_SLOW_CONSUMER: Final = 4009
CLOSE_SESSION_ENDED: Final = 4010
CLOSE_SERVICE_RESTART: Final = 1012

ERROR_MESSAGES: Final[dict[str, str]] = {
    "bad_json": "The frame is not valid JSON.",
    "bad_frame": "The frame is missing a field or has a field of the wrong type.",
    "unknown_type": "Unknown frame type.",
    "not_authenticated": "Send a hello frame with your token first.",
    "token_invalid": "The token is not valid.",
    "token_expired": "The token has expired; join again with your class code.",
    "unsupported_version": "This server speaks protocol version 1.",
    "session_not_live": "The session is not open right now.",
    "session_closed": "The session has ended.",
    "session_paused": "The facilitator has paused the session. Wait a moment.",
    "banned": "You have been removed from this session.",
    "not_in_room": "You are not in a room yet.",
    "room_closed": "This room has been closed.",
    "too_long": "The message is too long.",
    "empty": "The message is empty.",
    "rate_limited": "You are sending messages too fast. Wait a moment.",
    "slow_mode": "Slow mode is on in this room. Wait a moment before sending again.",
    "muted": "A facilitator has muted you for a while.",
    "unknown_message": "No such message in your room.",
    "unavailable": "The server could not save your message right now. It will be retried.",
    "broker_unavailable": "Live delivery is interrupted; messages are saved and arrive when it is back.",
    "server_shutdown": "The server is restarting. Reconnect in a moment.",
    "slow_consumer": "Your connection could not keep up and was closed. Reconnect to catch up.",
}


class FrameError(Exception):
    """A client frame was rejected; ``code`` is one of ERROR_MESSAGES."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def error_frame(code: str, client_id: str | None = None, **extra: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": ERROR_MESSAGES.get(code, code)}
    if client_id is not None:
        frame["client_id"] = client_id
    frame.update(extra)
    return frame


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse_frame(raw: str) -> dict[str, Any]:
    """Decode a client text frame into a dict with a string ``type``; raise FrameError otherwise."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("bad_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise FrameError("bad_frame", "a frame is a JSON object with a string 'type'")
    if _depth(data) > MAX_JSON_DEPTH:
        raise FrameError("bad_frame", "frame nested too deeply")
    return data


def get_str(frame: dict[str, Any], key: str, *, required: bool = True, max_len: int | None = None) -> str | None:
    value = frame.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise FrameError("bad_frame", f"'{key}' must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escape such as "\\ud800": valid JSON, not storable text
        raise FrameError("bad_frame", f"'{key}' is not valid Unicode text") from None
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise FrameError("bad_frame", f"'{key}' contains a NUL character")
    if max_len is not None and len(value) > max_len:
        raise FrameError("bad_frame", f"'{key}' is longer than {max_len} characters")
    return value


def get_int(frame: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = frame.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**53:
        raise FrameError("bad_frame", f"'{key}' must be a non-negative integer")
    return value


@dataclass(frozen=True, slots=True)
class SendFrame:
    client_id: str
    text: str
    language: str | None


def parse_send(frame: dict[str, Any]) -> SendFrame:
    client_id = get_str(frame, "client_id", max_len=MAX_CLIENT_ID)
    text = get_str(frame, "text")
    language = get_str(frame, "lang", required=False, max_len=8)
    assert client_id is not None
    assert text is not None
    if not client_id:
        raise FrameError("bad_frame", "'client_id' must not be empty")
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise FrameError("bad_frame", "'client_id' may only hold letters A-Z and a-z, digits, '-', '_', '.' and ':'")
    if language is not None and not is_language_code(language):
        raise FrameError("bad_frame", "'lang' must be a known ISO 639 language code such as 'en'")
    return SendFrame(client_id, text, language)


@cache
def _language_codes() -> frozenset[str]:
    return frozenset(code for code in localedata.locale_identifiers() if code.isalpha() and code.islower())


def is_language_code(code: str) -> bool:
    """Whether `code` is a language CLDR knows, written as a bare lower-case ISO 639 code ("en", "ar", "fil")."""
    return 2 <= len(code) <= 3 and code in _language_codes()


def dumps(frame: dict[str, Any]) -> str:
    """Serialise a server frame once (compact, UTF-8 kept) so it can be fanned out as is."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
