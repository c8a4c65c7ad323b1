"""The moderation pipeline: the enabled hooks in configured order, most severe verdict wins, failures hold."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import pluggy

from rooms.moderation.config import ModerationConfig
from rooms.moderation.deadline import CpuBudget, DeadlineExceeded
from rooms.moderation.plain import plain_first_pass
from rooms.moderation.plugins import default_plugin_manager, is_builtin
from rooms.moderation.verdicts import Action, MessageContext, ModerationOutcome, Verdict

logger = logging.getLogger(__name__)

# Above this no hook sees the text at all, whatever the configured hooks are, so no regex meets a megabyte.
HARD_LENGTH_LIMIT = 20_000
# A plain line up to this long is judged by the built-in hooks without a CPU-time timer (see `_moderate`).
UNTIMED_CHARS = 2_000


_MESSAGE_AND_CONFIG = ("message", "config")


def _fail(reason: str) -> Verdict:
    return Verdict(Action.HOLD, reason)


@dataclass(frozen=True, slots=True)
class _Hook:
    """How one registered hook is called, worked out once: per message and hook it cost more than most hooks."""

    name: str
    function: Callable[..., object]
    argnames: tuple[str, ...]
    inline: bool  # run on the event loop under a CPU-time timer, not in a worker thread
    builtin: bool  # one of ours, inline and synchronous: shares the pass's timer with the other built-in hooks
    direct: bool  # built-in and takes (message, config): called by the pipeline's loop itself


def _plan(impl: pluggy.HookImpl) -> _Hook:
    """How ``impl`` is called: a synchronous hook that declares itself inline runs on the event loop."""
    declared_inline = bool(getattr(impl.plugin, "BRIDGEWAY_INLINE", False))
    coroutine = inspect.iscoroutinefunction(impl.function)
    builtin = is_builtin(impl.plugin_name, impl.plugin) and declared_inline and not coroutine
    argnames = tuple(impl.argnames)
    direct = builtin and argnames == _MESSAGE_AND_CONFIG
    return _Hook(impl.plugin_name, impl.function, argnames, declared_inline or coroutine, builtin, direct)


class Moderator:
    """Runs the enabled hooks over each message in configured order and combines their verdicts."""

    def __init__(self, config: ModerationConfig, plugin_manager: pluggy.PluginManager | None = None) -> None:
        self.config = config
        self.plugin_manager = plugin_manager if plugin_manager is not None else default_plugin_manager()
        self._hooks: dict[str, _Hook] = {}
        self._refresh()
        missing = [name for name in config.hooks if name not in self._hooks]
        if missing:
            # Fail closed rather than refuse to start: every message will HOLD until the plug-in is installed.
            logger.error("moderation hooks not registered, messages will be held: %s", ", ".join(missing))

    def _refresh(self) -> None:
        self._hooks = {
            impl.plugin_name: _plan(impl) for impl in self.plugin_manager.hook.moderate_message.get_hookimpls()
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
        text, translations = ctx.text, ctx.translations
        # `values()` even when there are none: a context without a mapping there fails here, as it always did.
        if len(text) > HARD_LENGTH_LIMIT or (
            (values := translations.values()) and any(len(t) > HARD_LENGTH_LIMIT for t in values)
        ):
            return ModerationOutcome(Action.BLOCK, "too_long", text, None)
        current = ctx
        decided: tuple[Verdict, str] | None = None
        alert: str | None = None
        config = self.config
        timeout = config.hook_timeout
        hooks = self._hooks
        # Made when a hook first needs a timer: a plain line's built-in hooks run without one.
        budget: CpuBudget | None = None
        # A plain line (plain.py) costs each built-in hook a few set look-ups, linear in a text of at most
        # UNTIMED_CHARS: the built-in hooks run without the CPU-time timer then (its two system calls cost more).
        timed = len(text) > UNTIMED_CHARS or plain_first_pass(text, translations) is None
        # Each hook's wall time runs from the end of the one before (one clock reading a hook, not two).
        mark = perf_counter()
        try:
            for name in config.hooks:
                hook = hooks.get(name) or self._lookup(name)
                if hook is None:
                    logger.error("moderation hook %r is enabled but not registered; holding message", name)
                    verdict: Verdict | None = _fail("hook_error")
                elif hook.direct:
                    # A built-in hook called here, not through `_run_builtin`: per message and hook the calls and
                    # keyword dictionaries around it cost more than most hooks' own work. Its parameters are
                    # (message, config) in that order (`_plan`), so it is called positionally.
                    verdict = None
                    result: object = None
                    try:
                        if timed:
                            if budget is None:
                                budget = CpuBudget()
                            budget.share(timeout)
                            try:
                                result = hook.function(current, config)
                            finally:
                                budget.unshare()
                        else:
                            result = hook.function(current, config)
                    except DeadlineExceeded:
                        verdict = self._timed_out(name, current)
                    except Exception:
                        logger.exception("moderation hook %r raised; holding message in room %s", name, ctx.room_id)
                        verdict = _fail("hook_error")
                    now = perf_counter()
                    if verdict is None:
                        if now - mark > timeout:
                            verdict = self._timed_out(name, current)
                        elif result is not None:
                            verdict = self._checked(name, result)
                    mark = now
                elif hook.builtin:
                    if budget is None:
                        budget = CpuBudget()
                    verdict = self._run_builtin(hook, current, budget)
                    mark = perf_counter()
                else:
                    if budget is None:
                        budget = CpuBudget()
                    budget.end_sharing()  # a plug-in has its own timer; an await lets other passes set theirs
                    verdict = await self._run(hook, current, budget)
                    mark = perf_counter()
                if verdict is None:
                    continue
                if alert is None:
                    alert = verdict.alert
                if verdict.action is Action.ALLOW:
                    continue
                if verdict.action is Action.MASK and verdict.text is not None:
                    current = dataclasses.replace(current, text=verdict.text)
                    timed = True  # the masked text was not proved plain
                if decided is None or verdict.action.severity > decided[0].action.severity:
                    decided = (verdict, name)
                if verdict.action is Action.BLOCK:
                    break
        finally:
            if budget is not None:
                budget.close()
        if decided is None:
            return ModerationOutcome(Action.ALLOW, None, current.text, None, alert)
        return ModerationOutcome(decided[0].action, decided[0].reason, current.text, decided[1], alert)

    def _lookup(self, name: str) -> _Hook | None:
        self._refresh()  # registered after this Moderator was made
        return self._hooks.get(name)

    def _kwargs(self, hook: _Hook, ctx: MessageContext) -> dict[str, Any]:
        available = {"message": ctx, "config": self.config}
        return {arg: available[arg] for arg in hook.argnames}

    def _run_builtin(self, hook: _Hook, ctx: MessageContext, budget: CpuBudget) -> Verdict | None:
        """A built-in hook that takes other arguments than (message, config) (those are called in `_moderate`):
        synchronous, inline, under the timer the pass's built-in hooks share."""
        timeout = self.config.hook_timeout
        try:
            result = budget.call_shared(timeout, hook.function, **self._kwargs(hook, ctx))
        except DeadlineExceeded:
            return self._timed_out(hook.name, ctx)
        except Exception:
            logger.exception("moderation hook %r raised; holding message in room %s", hook.name, ctx.room_id)
            return _fail("hook_error")
        return self._checked(hook.name, result)

    async def _run(self, hook: _Hook, ctx: MessageContext, budget: CpuBudget) -> Verdict | None:
        timeout = self.config.hook_timeout
        kwargs = self._kwargs(hook, ctx)
        try:
            if hook.inline:
                # An inline hook that overruns is interrupted, not just judged once it finally returns.
                result = budget.call(timeout, hook.function, **kwargs)
                if result is not None and not isinstance(result, Verdict) and inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, timeout)
            else:
                result = await asyncio.wait_for(asyncio.to_thread(hook.function, **kwargs), timeout)
                if inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, timeout)
        except (TimeoutError, DeadlineExceeded):
            return self._timed_out(hook.name, ctx)
        except Exception:
            logger.exception("moderation hook %r raised; holding message in room %s", hook.name, ctx.room_id)
            return _fail("hook_error")
        return self._checked(hook.name, result)

    def _timed_out(self, name: str, ctx: MessageContext) -> Verdict:
        timeout = self.config.hook_timeout
        logger.warning("moderation hook %r exceeded %.3fs; holding message in room %s", name, timeout, ctx.room_id)
        return _fail("hook_timeout")

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
