"""The running services of one app instance, built by `app.runtime.running` and shared by routes."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from app.ratelimit import RateLimits
from app.security import ParticipantTokens
from app.settings import Settings
from app.sockets import OpenSockets
from app.staff.login_backoff import LoginBackoff
from app.students.devices import DeviceCookies
from app.students.joining import Admission, Enrolment, JoinResult
from rooms.batched import BatchedCalls
from rooms.database import Database
from rooms.hub import Hub
from rooms.lobby import Lobby
from rooms.service import RoomService
from rooms.translate import RoomTranslator
from rooms.writer import BatchWriter


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    settings: Settings
    db: Database
    tokens: ParticipantTokens
    hub: Hub
    writer: BatchWriter
    lobby: Lobby
    rooms: RoomService
    limits: RateLimits
    devices: DeviceCookies
    login_backoff: LoginBackoff
    translator: RoomTranslator | None
    sockets: OpenSockets
    admissions: BatchedCalls[str, Admission]  # class-code look-ups of concurrent joins, one trip per batch
    enrolments: BatchedCalls[Enrolment, JoinResult]  # their new participants, one trip and commit per batch


def services(conn: HTTPConnection) -> Services:
    """The services of the app serving this request or socket."""
    found: Services = conn.app.state.services
    return found
