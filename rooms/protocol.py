"""WebSocket protocol v1: server frames, stable error codes and close codes (see docs/protocol.md)."""

from __future__ import annotations

from typing import Any, Final

import orjson

from rooms.clock import iso
from rooms.models import MessageData, MessageKind, ModerationState, Participant
from rooms.parsing import valid_client_id

PROTOCOL_VERSION: Final = 1

# Close codes (4000-4999 are application-defined in RFC 6455). Browser scripts get them by name: `client_codes`.
CLOSE_NORMAL: Final = 1000
CLOSE_SERVICE_RESTART: Final = 1012
CLOSE_REPLACED: Final = 4000  # the same student opened the chat in another tab
CLOSE_AUTH_FAILED: Final = 4001
CLOSE_FORBIDDEN: Final = 4003
CLOSE_POLICY: Final = 4008
CLOSE_SLOW_CONSUMER: Final = 4009
CLOSE_SESSION_ENDED: Final = 4010
CLOSE_HEARTBEAT: Final = 4011

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
    "heartbeat_timeout": "Nothing was heard from your connection for too long. Reconnect to catch up.",
}


def client_codes() -> dict[str, Any]:
    """The protocol version and the close codes by name (``CLOSE_AUTH_FAILED`` as ``auth_failed``), which the
    pages hand to their scripts so that no script holds a copy of a number."""
    close = {
        name.removeprefix("CLOSE_").lower(): value for name, value in globals().items() if name.startswith("CLOSE_")
    }
    return {"version": PROTOCOL_VERSION, "close": close}


def error_frame(code: str, client_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """An error frame that always encodes: an invalid ``client_id`` is left out rather than echoed (a lone
    surrogate in it used to make the socket writer fail and close the socket without a word)."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": ERROR_MESSAGES.get(code, code)}
    if valid_client_id(client_id):
        frame["client_id"] = client_id
    for key, value in extra.items():
        frame[key] = _encodable(value) if isinstance(value, str) else value
    return frame


def _encodable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def dumps(frame: dict[str, Any]) -> str:
    """Serialise a server frame once (compact, UTF-8 kept) so it can be fanned out as is."""
    return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS).decode()


# -- server frames ----------------------------------------------------------------------------------------------
# Every frame the server sends is built here, so a frame's shape is written down once (docs/protocol.md §4).


def member_view(p: Participant) -> dict[str, Any]:
    """What other students may see of a participant: pseudonym, country, languages. Nothing else."""
    return {"id": p.id, "name": p.display_name, "country": p.country, "languages": list(p.languages)}


def room_view(room_id: int, members: list[Participant], slow_mode: int = 0, seq: int | None = None) -> dict[str, Any]:
    """``seq``: the room's position when the lobby seated its newest members (0 for a room just formed), where their
    feeds start."""
    view = {"id": room_id, "members": [member_view(m) for m in members], "slow_mode": slow_mode}
    return view if seq is None else {**view, "seq": seq}


def sender_view(p: Participant) -> dict[str, Any]:
    return {"id": p.id, "name": p.display_name, "country": p.country}


def student_view(p: Participant) -> dict[str, Any]:
    """What staff see of a student's state: status ("banned" for a ban), room, mute end, erased (never the token)."""
    muted = iso(p.muted_until) if p.muted_until is not None else None
    status = "banned" if p.banned else p.status.value
    return {**sender_view(p), "status": status, "room": p.room_id, "muted_until": muted, "erased": p.erased}


def student_frame(p: Participant) -> dict[str, Any]:
    """Watchers only: a student's state right after it changed (joined, connected, paired, left, muted…)."""
    return {"type": "student", "student": student_view(p)}


# Each message's frames read its kind and state: an enum's `.value` and a `ModerationState.X` look-up cost ~0.2 µs
# each, a dict look-up and a module constant a tenth of that.
_KIND_TEXT: Final = {kind: kind.value for kind in MessageKind}
_STATE_TEXT: Final = {state: state.value for state in ModerationState}
_VISIBLE: Final = ModerationState.VISIBLE
_MASKED: Final = ModerationState.MASKED


def message_frame(message: MessageData, sender: dict[str, Any] | None, own: bool = False) -> dict[str, Any]:
    """A stored message as the room sees it; `own`: for its sender's socket, which alone gets the client_id back
    (a client_id is the sender's, and relaying it would let a student pass text to the partner unmoderated)."""
    frame: dict[str, Any] = {
        "type": "message",
        "id": message.id,
        "seq": message.seq,
        "room": message.room_id,
        "kind": _KIND_TEXT[message.kind],
        "from": sender,
        "text": message.text,
        "lang": message.language,
        "ts": iso(message.created_at),
    }
    if own and message.client_msg_id is not None:
        frame["client_id"] = message.client_msg_id
    if message.state == _MASKED:
        frame["masked"] = True
    return frame


def ack_frame(message: MessageData, notice: str | None) -> dict[str, Any]:
    state = message.state
    ack: dict[str, Any] = {
        "type": "ack",
        "client_id": message.client_msg_id,
        "id": message.id,
        "seq": message.seq,
        "ts": iso(message.created_at),
        "state": _STATE_TEXT[state],
    }
    if state != _VISIBLE:
        ack["reason"] = message.reason
        ack["notice"] = notice
    if state == _MASKED:
        ack["text"] = message.text
    return ack


def event_frame(event: str, **fields: Any) -> dict[str, Any]:
    return {"type": "event", "event": event, **fields}


def presence_frame(room_id: int, participant_id: int, state: str, name: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "presence", "room": room_id, "participant": participant_id, "state": state}
    if name is not None:
        frame["name"] = name
    return frame


def paired_frame(view: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paired", "room": view}


def room_opened_frame(view: dict[str, Any]) -> dict[str, Any]:
    return {"type": "room_opened", "room": view}


def typing_frame(room_id: int, participant_id: int | None) -> dict[str, Any]:
    return {"type": "typing", "room": room_id, "from": participant_id}


def resumed_frame(room_id: int, last_id: int | None, last_seq: int) -> dict[str, Any]:
    """The end of a catch-up: ``last_seq`` is the room position the socket is at now (resume from it)."""
    return {"type": "resumed", "room": room_id, "last_id": last_id, "last_seq": last_seq}


def withdrawn_frame(message_id: int | None, room_id: int, reason: str) -> dict[str, Any]:
    return {"type": "withdrawn", "id": message_id, "room": room_id, "reason": reason}


def reported_frame(message_id: int | None) -> dict[str, Any]:
    return {"type": "reported", "message_id": message_id}


def rate_limited_frame(kind: str, retry_after: float) -> dict[str, Any]:
    """A `report` or `resume` frame over its per-participant limit (docs/protocol.md §3)."""
    return error_frame("rate_limited", frame=kind, retry_after=round(retry_after, 1))


def report_frame(report_id: int | None, message_id: int | None, reason: str, room_id: int) -> dict[str, Any]:
    return {"type": "report", "report": {"id": report_id, "message_id": message_id, "reason": reason, "room": room_id}}


def flagged_frame(message: MessageData, sender: dict[str, Any]) -> dict[str, Any]:
    item = {
        "id": message.id,
        "room": message.room_id,
        "from": sender,
        "text": message.original_text or message.text,
        "lang": message.language,
        "reason": message.reason,
        "ts": iso(message.created_at),
    }
    return {"type": "flagged", "message": item}


def watching_frame(session_id: int | None) -> dict[str, Any]:
    return {"type": "watching", "session": session_id}


PING: Final = '{"type":"ping"}'
PONG: Final = '{"type":"pong"}'


def device_rejoin_frame(
    participant_id: int, name: str, country: str, banned_as: list[tuple[int, str]]
) -> dict[str, Any]:
    """Watchers only: a browser on which a student was banned from this session has just joined it again.

    The student is not told; the facilitator decides whether to refuse the newcomer (docs/facilitators.md).
    """
    return {
        "type": "device_rejoin",
        "participant": {"id": participant_id, "name": name, "country": country},
        "banned_as": [{"id": pid, "name": banned_name} for pid, banned_name in banned_as],
    }
