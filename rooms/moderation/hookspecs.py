"""Plug-in hook specifications for message moderation (pluggy), one documented function per hook."""

from __future__ import annotations

from collections.abc import Awaitable

from pluggy import HookimplMarker, HookspecMarker

from rooms.moderation.config import ModerationConfig
from rooms.moderation.verdicts import MessageContext, Verdict

PROJECT_NAME = "bridgeway"
ENTRY_POINT_GROUP = "bridgeway.moderation_hooks"

hookspec = HookspecMarker(PROJECT_NAME)
hookimpl = HookimplMarker(PROJECT_NAME)


@hookspec
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | Awaitable[Verdict | None] | None:
    """Judge one chat message before it is delivered to the room.

    Called by `Moderator.moderate` once per message for every plug-in whose registered name is listed in
    `config.hooks`, in that order (not pluggy's own call order). `message.text` already carries the masks
    applied by earlier hooks; when `message.translations` is non-empty this is the second pass after
    translation and the hook must also look at every translation.

    `message.countries` (ISO 3166 codes of the room's schools, empty when unknown) and `message.member_names`
    (the room's pseudonyms) let a hook judge phone/postcode formats and "@name" addressing.

    Return `None` (or an ALLOW verdict) to let the message through, or a `Verdict`: MASK with the masked
    `text`, HOLD for a teacher to review, or BLOCK. Any verdict, ALLOW included, may carry `alert` (a stable
    code): the message's outcome then carries it and the service raises a safeguarding alert. May be a
    coroutine function. Raising, returning anything else, or taking longer than `config.hook_timeout` makes
    the message HOLD (fail closed). Synchronous
    implementations run in a worker thread unless their plug-in sets `BRIDGEWAY_INLINE = True` to declare
    itself fast and non-blocking.
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec
def forget_participant(participant_id: int) -> None:
    """Drop any per-participant state a plug-in keeps (flood counters, recent messages).

    Called by `Moderator.forget_participant` for every registered plug-in when a student leaves a session,
    so memory stays bounded and nothing about a minor outlives their session. Returns nothing.
    """
    raise NotImplementedError  # pragma: no cover - specification only
