"""Reading client frames: JSON decoded into a dict with a type, fields checked, a ``send`` parsed; FrameError names
what was wrong with one of the codes of ``rooms.protocol.ERROR_MESSAGES``. Frames the server sends are built in
``rooms.protocol``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import orjson
from babel import localedata

MAX_CLIENT_ID: Final = 64
MAX_JSON_DEPTH: Final = 4
# A client_id is a token, not text: it is echoed in frames, so no spaces, "@" or "/" (no sentence, e-mail or link).
CLIENT_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class FrameError(Exception):
    """A client frame was rejected; ``code`` is one of ERROR_MESSAGES."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def valid_client_id(value: object) -> bool:
    """True for a ``client_id`` the server accepts and echoes: 1-64 token characters (CLIENT_ID_RE), so never a
    NUL, a lone surrogate such as ``"\\ud800"`` or anything that can't be encoded."""
    return isinstance(value, str) and CLIENT_ID_RE.fullmatch(value) is not None


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
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = _loads_stdlib(raw)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise FrameError("bad_frame", "a frame is a JSON object with a string 'type'")
    # A send's depth is checked by parse_send instead, so that the socket has read its client_id and the
    # bad_frame answer carries it like every other error about a send.
    if data["type"] != "send":
        _check_depth(data)
    return data


def _loads_stdlib(raw: str) -> Any:
    # orjson (~4x faster) refuses some JSON the stdlib takes: a lone surrogate escape (which `get_str` answers with
    # its own bad_frame), NaN and Infinity, nesting past 1,024. Those go through the stdlib, so a frame gets the
    # answer it always got. (An integer past 64 bits orjson reads as a float: `get_int` refuses both alike.)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("bad_json") from None


def _check_depth(frame: dict[str, Any]) -> None:
    # Most frames are flat (a send is three strings): only a frame holding a container can be too deep.
    if not any(isinstance(value, dict | list) for value in frame.values()):
        return
    if _depth(frame) > MAX_JSON_DEPTH:
        raise FrameError("bad_frame", "frame nested too deeply")


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
    _check_depth(frame)
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
