"""The device cookie: recognise a browser that joins a session again after a student on it was banned there.

The cookie (``bw_device``) is signed with the app's secret (itsdangerous) and holds a random device number and the
ids of the last participants created from this browser: no name, no class code, no address. It catches the easy
way back (same browser, new name), not a determined student (a private window or another browser is a new
device); see docs/security.md.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature
from sqlalchemy import bindparam
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from app.security import SignedValues
from rooms.models import Participant
from rooms.notices import Notices
from rooms.protocol import device_rejoin_frame

log = logging.getLogger(__name__)
DEVICE_COOKIE = "bw_device"
DEVICE_MAX_AGE = 24 * 3600  # one school day covers any session; re-signed (and so renewed) at every join
REMEMBERED = 20  # participants remembered per browser, newest kept


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    participants: tuple[int, ...] = ()

    def joined(self, participant_id: int) -> Device:
        return Device(self.id, (*self.participants, participant_id)[-REMEMBERED:])


class DeviceCookies:
    """Read and write the signed device cookie; anything unsigned, tampered or expired is a new device."""

    def __init__(self, secret: str, *, secure: bool) -> None:
        self._serializer = SignedValues(secret, salt="bridgeway.device")
        # What ``Response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE, httponly=True, samesite="lax",
        # secure=secure)`` writes, attributes in its order, built once: its ``SimpleCookie`` costs ~20 µs a join.
        # The value (itsdangerous's URL-safe alphabet and ".") never needs the quoting it would add.
        self._attributes = f"; HttpOnly; Max-Age={DEVICE_MAX_AGE}; Path=/; SameSite=lax" + (
            "; Secure" if secure else ""
        )

    def read(self, request: Request) -> Device:
        raw = request.cookies.get(DEVICE_COOKIE)
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=DEVICE_MAX_AGE)
            except BadSignature:  # also SignatureExpired
                data = None
            if (
                isinstance(data, dict)
                and isinstance(data.get("d"), str)
                and isinstance(data.get("p"), list)
                and all(isinstance(p, int) and not isinstance(p, bool) for p in data["p"])
            ):
                return Device(data["d"], tuple(data["p"][-REMEMBERED:]))
        return Device(secrets.token_hex(8))

    def write(self, response: Response, device: Device) -> None:
        value = self._serializer.dumps({"d": device.id, "p": list(device.participants)})
        response.raw_headers.append((b"set-cookie", f"{DEVICE_COOKIE}={value}{self._attributes}".encode("latin-1")))


_BANNED_HERE = select(Participant.id, Participant.display_name).where(
    col(Participant.id).in_(bindparam("ids", expanding=True)),
    Participant.session_id == bindparam("session_id"),
    col(Participant.banned).is_(True),
)


def banned_on_device(db: Session, session_id: int, participant_ids: tuple[int, ...]) -> list[tuple[int, str]]:
    """(id, name) of this device's earlier participants who are banned from ``session_id``."""
    if not participant_ids:
        return []
    rows = db.exec(_BANNED_HERE, params={"ids": list(participant_ids), "session_id": session_id}).all()
    return [(pid, name) for pid, name in rows if pid is not None]


async def alert_if_banned(notices: Notices, participant: Participant, banned: list[tuple[int, str]]) -> bool:
    """Tell the session's watchers (the console) when ``participant`` joined from a browser banned in the session.

    ``banned`` is ``banned_on_device`` for the browser's earlier participants, read in the join's transaction.
    """
    assert participant.id is not None
    if not banned:
        return False
    log.info("participant %s joined session %s from a device banned there", participant.id, participant.session_id)
    frame = device_rejoin_frame(participant.id, participant.display_name, participant.country, banned)
    await notices.watchers(participant.session_id, frame)
    return True
