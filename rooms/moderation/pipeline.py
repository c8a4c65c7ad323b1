"""The moderation pipeline: the enabled hooks in configured order, most severe verdict wins, failures hold."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from typing import Any

import pluggy

from rooms.moderation.config import ModerationConfig
from rooms.moderation.deadline import CpuBudget, DeadlineExceeded
from rooms.moderation.plugins import default_plugin_manager
from rooms.moderation.verdicts import Action, MessageContext, ModerationOutcome, Verdict

logger = logging.getLogger(__name__)

# Above this no hook sees the text at all, whatever the configured hooks are, so no regex meets a megabyte.
HARD_LENGTH_LIMIT = 20_000


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
