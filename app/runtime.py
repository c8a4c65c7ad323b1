"""The wiring: one function builds the running object graph from settings and tears it down in reverse.

Every object gets its dependencies in its constructor, and each one that runs is registered for stopping the
moment it starts, so shutdown (or a start that fails half-way) stops what was started, once, last first.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio.to_thread

from app.db import open_database
from app.facilitation.safeguarding import notify_report
from app.migrate import upgrade
from app.ratelimit import RateLimits
from app.scheduler import Scheduler
from app.security import ParticipantTokens
from app.services import Services
from app.settings import Settings
from app.sockets import OpenSockets
from app.staff.login_backoff import LoginBackoff
from app.students.devices import DeviceCookies
from app.students.joining import admit_many, enrol_many
from rooms.batched import BatchedCalls
from rooms.broker import create_broker
from rooms.database import Database
from rooms.hub import Hub
from rooms.moderation import Action, ModerationConfig, Moderator, create_plugin_manager
from rooms.service import RoomsConfig, RoomService
from rooms.session_moderation import SessionModerators
from rooms.translate import RoomTranslator
from rooms.writer import BatchWriter
from translation.argos import ArgosTranslator
from translation.batcher import MicroBatcher
from translation.cache import TranslationCache
from translation.factory import create_translator
from translation.remote import RedisTranslationQueue
from translation.service import TranslationService

log = logging.getLogger(__name__)


@asynccontextmanager
async def running(settings: Settings, secret: str) -> AsyncIterator[Services]:
    """Open the database (migrating it when asked), the broker, translation, rooms, the writer and the scheduler.

    Start order is stop order reversed: the scheduler stops first, then the writer flushes every accepted message
    (acknowledged and delivered while rooms, sockets, translation and the broker still run), then the sockets are
    told to reconnect, then rooms, translation, the broker and the database close.
    """
    async with AsyncExitStack() as stack:
        db = open_database(settings.database_url)
        stack.push_async_callback(db.aclose)
        if settings.auto_migrate:
            await anyio.to_thread.run_sync(upgrade, db.engine)
        hub = Hub(create_broker(settings.broker_url))
        await hub.start()
        stack.push_async_callback(hub.stop)
        translation = await _translation_service(settings, db)
        if translation is not None:
            translation.start()
            stack.push_async_callback(translation.aclose)
        # SQLite commits in-process (no round trips), so a batch there is not worth waiting for.
        gather = 0.0 if settings.is_sqlite else settings.write_batch_wait_ms / 1000
        writer = BatchWriter(db, settings.write_batch_max, gather=gather)
        moderators = SessionModerators(Moderator(moderation_config(settings), create_plugin_manager()))
        translator = RoomTranslator(translation, hub, db, moderators.for_session) if translation else None
        rooms = RoomService(
            db,
            hub,
            writer,
            moderators,
            translator,
            rooms_config(settings),
            # Reports reach the schools' safeguarding contacts at once, even when no facilitator console is open.
            report_listeners=[lambda report_id: _notify_safeguarding(db, settings, report_id)],
        )
        rooms.start()
        stack.push_async_callback(rooms.aclose)
        sockets = OpenSockets()
        stack.push_async_callback(sockets.shut_down)
        writer.start()  # after rooms and sockets, so that it stops before them: see the docstring
        stack.push_async_callback(writer.stop)
        svc = Services(
            settings=settings,
            db=db,
            tokens=ParticipantTokens(secret),
            hub=hub,
            writer=writer,
            lobby=rooms.lobby,
            rooms=rooms,
            limits=RateLimits(settings),
            devices=DeviceCookies(secret, secure=bool(settings.cookie_secure)),
            login_backoff=LoginBackoff.from_settings(settings),
            translator=translator,
            sockets=sockets,
            admissions=BatchedCalls(db, rooms.tasks, admit_many),
            enrolments=BatchedCalls(db, rooms.tasks, enrol_many),
        )
        scheduler = Scheduler(svc)
        scheduler.start()
        stack.push_async_callback(scheduler.stop)
        yield svc


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


def rooms_config(settings: Settings) -> RoomsConfig:
    return RoomsConfig(
        max_message_chars=settings.max_message_chars,
        message_rate=settings.message_rate,
        reconnect_grace=settings.reconnect_grace_seconds,
        repair_grace=settings.repair_grace_seconds,
        heartbeat_interval=settings.heartbeat_interval_seconds,
        heartbeat_timeout=settings.heartbeat_timeout_seconds,
        cross_country_wait=settings.cross_country_wait_seconds,
        same_country_rooms=settings.same_country_rooms,
    )


async def _translation_service(settings: Settings, db: Database) -> TranslationService | None:
    """Translation in this process (micro-batching threads), or through ``bridgeway translation-worker``s."""
    if settings.translation_backend == "off":
        return None
    cache = TranslationCache(db.engine)
    if settings.translation_queue_url:
        queue = RedisTranslationQueue(settings.translation_queue_url, max_queue=settings.translation_max_queue)
        await queue.start()
        return TranslationService(queue, cache, timeout=settings.translation_timeout, queue=queue)
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
    return TranslationService(translator, cache, timeout=settings.translation_timeout, queue=batcher)


async def _notify_safeguarding(db: Database, settings: Settings, report_id: int) -> None:
    try:
        await notify_report(db, settings, report_id)
    except Exception:
        log.exception("safeguarding notification for report %s failed", report_id)
