"""The running services of one app instance, built from settings in the lifespan and shared by routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio.to_thread
from starlette.requests import HTTPConnection

from app.db import open_database
from app.devices import DeviceCookies
from app.login_backoff import LoginBackoff
from app.migrate import upgrade
from app.ratelimit import RateLimits
from app.safeguarding import notify_report
from app.security import ParticipantTokens
from app.settings import Settings
from rooms.broker import create_broker
from rooms.connection import Connection
from rooms.database import Database
from rooms.hub import Hub
from rooms.lobby import Lobby
from rooms.moderation import Action, ModerationConfig, Moderator, create_plugin_manager
from rooms.service import RoomsConfig, RoomService
from rooms.translate import RoomTranslator
from rooms.writer import BatchWriter
from translation.argos import ArgosTranslator
from translation.batcher import MicroBatcher
from translation.cache import TranslationCache
from translation.factory import create_translator
from translation.remote import RedisTranslationQueue
from translation.service import TranslationService

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    tokens: ParticipantTokens
    hub: Hub
    writer: BatchWriter
    lobby: Lobby
    moderator: Moderator
    rooms: RoomService
    limits: RateLimits
    devices: DeviceCookies
    login_backoff: LoginBackoff
    translator: RoomTranslator | None = None
    sockets: set[Connection] = field(default_factory=set)


def moderation_config(settings: Settings) -> ModerationConfig:
    return ModerationConfig(
        hooks=tuple(settings.moderation_hooks),
        contact_action=Action(settings.moderation_contact_action),
        extra_words=tuple(settings.moderation_extra_words),
        max_length=settings.max_message_chars,
        flood_messages=settings.moderation_flood_messages,
        flood_seconds=settings.moderation_flood_seconds,
        link_allowlist=tuple(settings.moderation_link_allowlist),
    )


async def start_services(settings: Settings, secret: str) -> Services:
    """Open the database (migrating it when asked), the broker, the writer and translation."""
    db = open_database(settings.database_url)
    if settings.auto_migrate:
        await anyio.to_thread.run_sync(upgrade, db.engine)
    broker = create_broker(settings.broker_url)
    hub = Hub(broker)
    await hub.start()
    writer = BatchWriter(db, settings.write_batch_max)
    writer.start()
    moderator = Moderator(moderation_config(settings), create_plugin_manager())
    translator = await _start_translation(settings, db, hub, moderator)
    rooms = RoomService(
        db,
        hub,
        writer,
        moderator,
        translator,
        RoomsConfig(
            max_message_chars=settings.max_message_chars,
            message_rate=settings.message_rate,
            reconnect_grace=settings.reconnect_grace_seconds,
            repair_grace=settings.repair_grace_seconds,
            heartbeat_interval=settings.heartbeat_interval_seconds,
            heartbeat_timeout=settings.heartbeat_timeout_seconds,
            cross_country_wait=settings.cross_country_wait_seconds,
            same_country_rooms=settings.same_country_rooms,
        ),
    )
    rooms.start()
    if translator is not None:
        translator.moderator = rooms.moderator_for  # second pass uses the session's overrides too
    limits = RateLimits(settings)
    tokens = ParticipantTokens(secret)
    devices = DeviceCookies(secret, secure=bool(settings.cookie_secure))
    login_backoff = LoginBackoff.from_settings(settings)
    svc = Services(
        settings, db, tokens, hub, writer, rooms.lobby, moderator, rooms, limits, devices, login_backoff, translator
    )
    # Reports reach the schools' safeguarding contacts at once, even when no facilitator console is open.
    rooms.report_listeners.append(lambda report_id: _notify(svc, report_id, notify_report))
    return svc


async def _notify(svc: Services, report_id: int, notify: Callable[[Services, int], Awaitable[bool]]) -> None:
    try:
        await notify(svc, report_id)
    except Exception:
        log.exception("safeguarding notification for report %s failed", report_id)


async def _start_translation(settings: Settings, db: Database, hub: Hub, moderator: Moderator) -> RoomTranslator | None:
    """Translation in this process (micro-batching threads), or through `bridgeway translation-worker`s."""
    if settings.translation_backend == "off":
        return None
    cache = TranslationCache(db.engine)
    if settings.translation_queue_url:
        queue = RedisTranslationQueue(settings.translation_queue_url, max_queue=settings.translation_max_queue)
        await queue.start()
        service = TranslationService(queue, cache, timeout=settings.translation_timeout, queue=queue)
    else:
        translator = await anyio.to_thread.run_sync(
            lambda: create_translator(
                settings.translation_backend,
                settings.packages_dir,
                intra_threads=settings.translation_threads,
                inter_threads=settings.translation_workers,
                decoding=settings.translation_decoding,
                device=settings.translation_device,
            )
        )
        batcher = MicroBatcher(
            translator,
            workers=settings.translation_workers,
            max_queue=settings.translation_max_queue,
            batch_size=settings.translation_batch_size,
            batch_wait=settings.translation_batch_wait_ms / 1000,
            max_wait=settings.translation_max_wait_ms / 1000,
            nice=settings.translation_nice,
            on_start=translator.load_models if isinstance(translator, ArgosTranslator) else None,
        )
        service = TranslationService(translator, cache, timeout=settings.translation_timeout, queue=batcher)
    service.start()
    return RoomTranslator(service, hub, db, lambda _session_id: moderator)


async def stop_services(services: Services) -> None:
    await services.rooms.aclose()
    await services.writer.stop()
    if services.translator is not None:
        await services.translator.service.aclose()
    await services.hub.stop()
    services.db.dispose()


def services(conn: HTTPConnection) -> Services:
    """The services of the app serving this request or socket."""
    found: Services = conn.app.state.services
    return found
