"""Message moderation pipeline: ordered pluggy hooks, most severe verdict wins, failures hold the message."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any

import pluggy

from rooms import hookspecs
from rooms.deadline import CpuBudget, DeadlineExceeded
from rooms.moderation_reasons import plain_reason

__all__ = [
    "DEFAULT_HOOKS",
    "Action",
    "MessageContext",
    "ModerationConfig",
    "ModerationOutcome",
    "Moderator",
    "Verdict",
    "create_plugin_manager",
    "default_plugin_manager",
    "plain_reason",
]

logger = logging.getLogger(__name__)

# Built-ins are registered exactly like third-party plug-ins, under these names, before entry points load.
DEFAULT_PLUGINS: Mapping[str, str] = MappingProxyType(
    {
        "length": "rooms.moderation_length",
        "disclosure": "rooms.moderation_disclosure",
        "contact": "rooms.moderation_contact",
        "address": "rooms.moderation_address",
        "links": "rooms.moderation_links",
        "profanity": "rooms.moderation_profanity",
        "flood": "rooms.moderation_flood",
        "shouting": "rooms.moderation_shouting",
    }
)
DEFAULT_HOOKS: tuple[str, ...] = tuple(DEFAULT_PLUGINS)

# Above this no hook sees the text at all, whatever the configured hooks are, so no regex meets a megabyte.
HARD_LENGTH_LIMIT = 20_000


class Action(StrEnum):
    """What happens to a message; declaration order is severity order."""

    ALLOW = "allow"
    MASK = "mask"
    HOLD = "hold"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {action: rank for rank, action in enumerate(Action)}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One hook's judgement; `text` is the masked message for MASK, `reason` a stable code (see plain_reason).

    `alert` asks for a safeguarding alert whatever the action: a child disclosing harm is delivered (ALLOW) and
    the safeguarding contacts are told, with `alert` as the stable code of why ("disclosure_harm" ...).
    """

    action: Action
    reason: str | None = None
    text: str | None = None
    alert: str | None = None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """A message as hooks see it; `translations` maps target language to text on the pass after translation."""

    text: str
    language: str | None
    participant_id: int
    room_id: int
    session_id: int
    sent_at: float
    translations: Mapping[str, str] = field(default_factory=dict)
    # ISO 3166 codes of the countries whose schools share the room (phone and postcode formats); () = defaults.
    countries: tuple[str, ...] = ()
    # Pseudonyms of the room's members: "@Maria" addressing one of them is not a social-media handle.
    member_names: tuple[str, ...] = ()


_INT_FIELDS = ("max_length", "flood_messages", "repeat_limit", "shouting_min_letters")
_FLOAT_FIELDS = ("flood_seconds", "shouting_ratio", "hook_timeout")


def _string_tuple(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list of strings")
    items = tuple(value)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError(f"{name} must contain only non-empty strings")
    return tuple(item.strip() for item in items)


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    """Deployment defaults merged with per-session overrides; validated and normalised on construction."""

    hooks: tuple[str, ...] = DEFAULT_HOOKS
    contact_action: Action = Action.BLOCK
    link_allowlist: tuple[str, ...] = ()
    extra_words: tuple[str, ...] = ()
    max_length: int = 2000
    flood_messages: int = 5
    flood_seconds: float = 10.0
    repeat_limit: int = 3
    shouting_min_letters: int = 12
    shouting_ratio: float = 0.8
    hook_timeout: float = 0.5

    def __post_init__(self) -> None:
        hooks = _string_tuple("hooks", self.hooks)
        if len(set(hooks)) != len(hooks):
            raise ValueError("hooks must not list a hook twice")
        try:
            contact_action = Action(self.contact_action)
        except ValueError:
            raise ValueError("contact_action must be 'block' or 'mask'") from None
        if contact_action not in (Action.BLOCK, Action.MASK):
            raise ValueError("contact_action must be 'block' or 'mask'")
        domains = tuple(
            d.lower().strip(".").removeprefix("*.") for d in _string_tuple("link_allowlist", self.link_allowlist)
        )
        object.__setattr__(self, "hooks", hooks)
        object.__setattr__(self, "contact_action", contact_action)
        object.__setattr__(self, "link_allowlist", domains)
        object.__setattr__(self, "extra_words", _string_tuple("extra_words", self.extra_words))
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer")
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a positive number")
            object.__setattr__(self, name, float(value))
        if self.shouting_ratio > 1:
            raise ValueError("shouting_ratio must be at most 1")

    def merged(self, overrides: Mapping[str, object]) -> ModerationConfig:
        """Return a copy with a session's overrides applied; unknown keys or bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown moderation settings: {', '.join(unknown)}")
        changes: dict[str, Any] = dict(overrides)  # checked by __post_init__, which replace() runs
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ModerationOutcome:
    """The pipeline's decision: `text` is what to deliver (masked if anything masked), `hook` who decided.

    `alert` is the first safeguarding alert code any hook raised (None: no alert), independent of `action`: the
    caller raises a safeguarding alert for it even when the message is delivered.
    """

    action: Action
    reason: str | None
    text: str
    hook: str | None = None
    alert: str | None = None


def create_plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the built-in hooks registered as default plug-ins, then third-party entry points.

    Entry points come from the group "bridgeway.moderation_hooks"; each registers under its entry-point name,
    which is what a deployment lists in `ModerationConfig.hooks` to enable it. A plug-in that fails to import
    raises here, at start-up, rather than silently weakening moderation.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name, module_name in DEFAULT_PLUGINS.items():
        module = importlib.import_module(module_name)
        factory = getattr(module, "create_plugin", None)
        manager.register(factory() if callable(factory) else module, name=name)
    if load_entrypoints:
        manager.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
    return manager


@cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager used when a Moderator is given none (shared so flood state is shared too)."""
    return create_plugin_manager()


def _fail(reason: str) -> Verdict:
    return Verdict(Action.HOLD, reason)


class Moderator:
    """Runs the enabled hooks over each message in configured order and combines their verdicts."""

    def __init__(self, config: ModerationConfig, plugin_manager: pluggy.PluginManager | None = None) -> None:
        self.config = config
        self.plugin_manager = plugin_manager if plugin_manager is not None else default_plugin_manager()
        self._impls: dict[str, Any] = {}
        self._refresh()
        missing = [name for name in config.hooks if name not in self._impls]
        if missing:
            # Fail closed rather than refuse to start: every message will HOLD until the plug-in is installed.
            logger.error("moderation hooks not registered, messages will be held: %s", ", ".join(missing))

    def _refresh(self) -> None:
        self._impls = {impl.plugin_name: impl for impl in self.plugin_manager.hook.moderate_message.get_hookimpls()}
        # How each hook is called, worked out once: per message and hook it cost more than most hooks themselves.
        self._inline = {
            name: bool(getattr(impl.plugin, "BRIDGEWAY_INLINE", False)) or inspect.iscoroutinefunction(impl.function)
            for name, impl in self._impls.items()
        }

    async def moderate(self, ctx: MessageContext) -> ModerationOutcome:
        """Decide what happens to one message; never raises (anything unexpected HOLDs the message)."""
        try:
            return await self._moderate(ctx)
        except Exception:
            logger.exception(
                "moderation pipeline failed for participant %s in room %s", ctx.participant_id, ctx.room_id
            )
            return ModerationOutcome(Action.HOLD, "hook_error", ctx.text, None)

    async def _moderate(self, ctx: MessageContext) -> ModerationOutcome:
        if len(ctx.text) > HARD_LENGTH_LIMIT or any(len(t) > HARD_LENGTH_LIMIT for t in ctx.translations.values()):
            return ModerationOutcome(Action.BLOCK, "too_long", ctx.text, None)
        current = ctx
        decided: tuple[Verdict, str] | None = None
        alert: str | None = None
        budget = CpuBudget()
        try:
            for name in self.config.hooks:
                verdict = await self._run(name, current, budget)
                if verdict is not None and alert is None:
                    alert = verdict.alert
                if verdict is None or verdict.action is Action.ALLOW:
                    continue
                if verdict.action is Action.MASK and verdict.text is not None:
                    current = dataclasses.replace(current, text=verdict.text)
                if decided is None or verdict.action.severity > decided[0].action.severity:
                    decided = (verdict, name)
                if verdict.action is Action.BLOCK:
                    break
        finally:
            budget.close()
        if decided is None:
            return ModerationOutcome(Action.ALLOW, None, current.text, None, alert)
        return ModerationOutcome(decided[0].action, decided[0].reason, current.text, decided[1], alert)

    async def _run(self, name: str, ctx: MessageContext, budget: CpuBudget) -> Verdict | None:
        impl = self._impls.get(name)
        if impl is None:
            self._refresh()
            impl = self._impls.get(name)
        if impl is None:
            logger.error("moderation hook %r is enabled but not registered; holding message", name)
            return _fail("hook_error")
        available = {"message": ctx, "config": self.config}
        kwargs = {arg: available[arg] for arg in impl.argnames}
        timeout = self.config.hook_timeout
        function = impl.function
        try:
            if self._inline.get(name, False):
                # An inline hook that overruns is interrupted, not just judged once it finally returns.
                result = budget.call(timeout, function, **kwargs)
                if result is not None and not isinstance(result, Verdict) and inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, timeout)
            else:
                result = await asyncio.wait_for(asyncio.to_thread(function, **kwargs), timeout)
                if inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, timeout)
        except (TimeoutError, DeadlineExceeded):
            logger.warning("moderation hook %r exceeded %.3fs; holding message in room %s", name, timeout, ctx.room_id)
            return _fail("hook_timeout")
        except Exception:
            logger.exception("moderation hook %r raised; holding message in room %s", name, ctx.room_id)
            return _fail("hook_error")
        return self._checked(name, result)

    @staticmethod
    def _checked(name: str, result: object) -> Verdict | None:
        if result is None:
            return None
        if (
            isinstance(result, Verdict)
            and isinstance(result.action, Action)
            and (result.reason is None or isinstance(result.reason, str))
            and (result.alert is None or isinstance(result.alert, str))
            and (result.action is not Action.MASK or isinstance(result.text, str))
        ):
            return result
        logger.error("moderation hook %r returned %s, not a Verdict; holding message", name, type(result).__name__)
        return _fail("hook_error")

    def forget_participant(self, participant_id: int) -> None:
        """Drop every plug-in's state about a participant (call when they leave the session)."""
        for impl in self.plugin_manager.hook.forget_participant.get_hookimpls():
            try:
                impl.function(participant_id=participant_id)
            except Exception:
                logger.exception("plug-in %r failed to forget a participant", impl.plugin_name)
