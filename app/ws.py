"""WebSocket endpoints: ``/ws`` for students (token in the hello frame), ``/ws/watch`` for facilitators."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.access import can_run_session
from app.models import Role
from app.security import TokenError
from app.services import Services, services
from app.staff.auth import session_ended, staff_user
from app.ws_direct import DirectFrames, server_receive
from app.ws_inbound import DirectReader, Item
from rooms.connection import Connection
from rooms.heartbeat import Heartbeats
from rooms.models import ExchangeSession
from rooms.parsing import FrameError, get_int, get_str, parse_frame
from rooms.protocol import (
    CLOSE_AUTH_FAILED,
    CLOSE_FORBIDDEN,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    PONG,
    PROTOCOL_VERSION,
    dumps,
    error_frame,
    watching_frame,
)

log = logging.getLogger(__name__)
FrameHandler = Callable[[Connection, dict[str, Any]], Awaitable[None]]
HELLO_TIMEOUT = 10.0
MAX_BAD_FRAMES = 20
MALFORMED_LOG_INTERVAL = 60.0


def origin_allowed(websocket: WebSocket, svc: Services) -> bool:
    """Browsers always send Origin: it must be this site (or a configured one). Non-browser clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    allowed = {_origin(svc.settings.base_url), *(_origin(o) for o in svc.settings.trusted_origins)}
    host = websocket.headers.get("host")
    if host:
        allowed.update({f"http://{host}", f"https://{host}"})
    return _origin(origin) in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _pump_and_close(websocket: WebSocket, conn: Connection) -> None:
    try:
        await conn.pump()
    finally:
        with contextlib.suppress(Exception):
            await websocket.close(conn.close_code or CLOSE_NORMAL, conn.close_reason)


async def _read(receive: Callable[[], Awaitable[Item]], conn: Connection, on_frame: FrameHandler) -> None:
    bad = 0
    while True:
        message = await receive()
        if isinstance(message, str):  # a text message from the direct reader
            raw: str | None = message
        elif message["type"] == "websocket.disconnect":
            return
        else:
            raw = message.get("text")
        conn.last_heard = time.monotonic()  # any frame proves the client is there (see rooms.heartbeat)
        client_id = None
        try:
            if raw is None:
                raise FrameError("bad_frame", "binary frames are not accepted; send JSON text")
            frame = parse_frame(raw)
            cid = frame.get("client_id")
            client_id = cid if isinstance(cid, str) and len(cid) <= 64 else None
            await on_frame(conn, frame)
        except FrameError as exc:
            bad += 1
            extra = {"detail": exc.detail} if exc.detail else {}
            conn.send(dumps(error_frame(exc.code, client_id, **extra)))
            if bad > MAX_BAD_FRAMES:
                conn.close(CLOSE_POLICY, "too_many_bad_frames")
                return


async def _serve(
    websocket: WebSocket, conn: Connection, on_frame: FrameHandler, beats: Heartbeats | None = None
) -> None:
    """Run the socket's reader and writer (and watch its heartbeat); when either ends, stop them all."""
    writer = asyncio.create_task(_pump_and_close(websocket, conn))
    direct = DirectReader.of(websocket)
    receive = direct.get if direct is not None else server_receive(websocket)
    reader = asyncio.create_task(_read(receive, conn, on_frame))
    if beats is not None:
        beats.watch(conn)
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if beats is not None:
            beats.forget(conn)
        if not reader.done():
            reader.cancel()
        conn.close(CLOSE_NORMAL, "")
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await reader
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(writer, 5)
        if reader.done() and not reader.cancelled() and isinstance(reader.exception(), Exception):
            exc = reader.exception()
            if not isinstance(exc, WebSocketDisconnect):
                log.warning("socket reader failed: %r", exc)


async def student_socket(websocket: WebSocket) -> None:
    svc = services(websocket)
    if not origin_allowed(websocket, svc):
        await websocket.close(CLOSE_POLICY, "origin_not_allowed")
        return
    await websocket.accept()
    conn = Connection(websocket.send_text, svc.settings.ws_send_queue, DirectFrames.of(websocket))
    svc.sockets.add(conn)
    try:
        if not await _hello(websocket, conn, svc):
            return
        await _serve(websocket, conn, svc.rooms.handle, svc.rooms.heartbeats)
    finally:
        svc.sockets.discard(conn)
        await svc.rooms.closed(conn)


async def _hello(websocket: WebSocket, conn: Connection, svc: Services) -> bool:
    """The first frame must be ``hello`` with a valid token; anything else closes the socket with a reason."""

    async def refuse(code: str, close_code: int = CLOSE_AUTH_FAILED) -> bool:
        with contextlib.suppress(Exception):
            await websocket.send_text(dumps(error_frame(code)))
            await websocket.close(close_code, code)
        conn.closed.set()
        return False

    try:
        raw = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, KeyError, RuntimeError):
        return await refuse("not_authenticated")
    try:
        frame = parse_frame(raw)
        if frame["type"] != "hello":
            return await refuse("not_authenticated")
        if frame.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
            return await refuse("unsupported_version", CLOSE_POLICY)
        token = get_str(frame, "token", max_len=1000)
        last_id = get_int(frame, "last_id", required=False) or 0
        last_seq = get_int(frame, "last_seq", required=False)
    except FrameError as exc:
        return await refuse(exc.code)
    assert token is not None
    try:
        claims = svc.tokens.verify(token)
    except TokenError as exc:
        return await refuse(exc.code)
    ok = await svc.rooms.open_participant(conn, claims.participant_id, claims.nonce, last_id, last_seq)
    if not ok:
        await _pump_and_close(websocket, conn)
    return ok


async def watch_socket(websocket: WebSocket) -> None:
    """Facilitators watch every room of a session live; the staff session cookie authenticates them."""
    svc = services(websocket)
    if not origin_allowed(websocket, svc):
        await websocket.close(CLOSE_POLICY, "origin_not_allowed")
        return
    user = await staff_user(websocket)  # the same session check as every HTTP route (version, disabled)
    if user is None or user.role not in (Role.FACILITATOR, Role.ADMIN, Role.COORDINATOR):
        await websocket.close(CLOSE_AUTH_FAILED, "not_authenticated")
        return
    session_id = websocket.query_params.get("session", "")
    exchange_session = (
        await svc.db.run(lambda s: s.get(ExchangeSession, int(session_id))) if session_id.isdigit() else None
    )
    if exchange_session is None or not await svc.db.run(can_run_session, user, exchange_session):
        await websocket.close(CLOSE_FORBIDDEN, "forbidden")
        return
    await websocket.accept()
    conn = Connection(websocket.send_text, max(svc.settings.ws_send_queue, 2048), DirectFrames.of(websocket))
    conn.user_id, conn.session_id = user.id, exchange_session.id
    await svc.hub.attach(conn)
    svc.sockets.add(conn)
    conn.send(dumps(watching_frame(exchange_session.id)))

    async def ignore(c: Connection, frame: dict[str, object]) -> None:
        if frame.get("type") == "ping":
            c.send(PONG)
            return
        raise FrameError("unknown_type")

    async def end_with_session() -> None:
        await session_ended(websocket, user.id or 0, svc.settings.staff_session_check_seconds)
        conn.close(CLOSE_AUTH_FAILED, "session_ended")  # logout, password change or disable: stop streaming

    ended = asyncio.create_task(end_with_session())
    try:
        await _serve(websocket, conn, ignore)
    finally:
        ended.cancel()
        svc.sockets.discard(conn)
        await svc.hub.detach(conn)


class MalformedFrameLog(logging.Filter):
    """Turns uvicorn's ERROR-with-traceback for each invalid-UTF-8 frame into one INFO line a minute.

    A client can send such frames at will (each costs it a reconnect: the socket is closed 1007), so logging
    every one with a traceback would let anyone flood the log.
    """

    MARKER = "Invalid UTF-8 sequence received from client"

    def __init__(self, interval: float = MALFORMED_LOG_INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self._last = -interval
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if self.MARKER not in str(record.msg):
            return True
        now = time.monotonic()
        if now - self._last < self.interval:
            self._suppressed += 1
            return False
        record.msg = "malformed WebSocket frame (invalid UTF-8) from a client, closed 1007; %d more since last"
        record.args = (self._suppressed,)
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text = None, None
        self._last, self._suppressed = now, 0
        return True


def install_process_hooks(svc: Services) -> None:
    """What the serving process needs beyond routes: the SIGTERM notice and quiet malformed-frame logging."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, MalformedFrameLog) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(MalformedFrameLog())
    announce_shutdown_on_sigterm(svc)


def announce_shutdown_on_sigterm(svc: Services) -> None:
    """On SIGTERM, send every socket ``server_shutdown`` and close it 1012 before uvicorn stops.

    uvicorn closes every WebSocket with a bare 1012 the moment it starts shutting down, before the lifespan
    shutdown could say why; so the app answers the signal first, then hands it on to uvicorn's own handler.
    """
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm() -> None:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)
        task = loop.create_task(_announce_then_exit(svc, previous))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (RuntimeError, ValueError, NotImplementedError):
        return  # not the main thread (the test client): nothing to announce from here


_pending: set[asyncio.Task[None]] = set()


async def _announce_then_exit(svc: Services, previous: Any) -> None:
    try:
        await svc.sockets.shut_down()
    finally:
        if callable(previous):
            previous(signal.SIGTERM, None)
        else:
            signal.raise_signal(signal.SIGTERM)


routes = [WebSocketRoute("/ws", student_socket), WebSocketRoute("/ws/watch", watch_socket)]
SESSIONLESS = frozenset({"/ws"})  # sockets that never read the cookie session (app.middleware.SessionsExceptSockets)
