"""CPU-time budgets: the built-in hooks share one timer per message, and an overrun is still stopped and held."""

from __future__ import annotations

import signal
import time

import pluggy
import pytest

from rooms.moderation import (
    Action,
    MessageContext,
    ModerationConfig,
    Moderator,
    create_plugin_manager,
    deadline,
    hookimpl,
)
from rooms.moderation.deadline import CpuBudget, DeadlineExceeded
from rooms.moderation.hooks import profanity


def _spin(*_args: object) -> list[tuple[int, int]]:
    while True:  # CPU-bound and endless: only the timer can stop it (returning at all proves it did)
        pass


class Pause:
    """A third-party hook run in a worker thread: the pass awaits it between two built-in hooks."""

    @hookimpl
    def moderate_message(self, message: MessageContext) -> None:
        time.sleep(0.01)


def _manager() -> pluggy.PluginManager:
    manager = create_plugin_manager(load_entrypoints=False)
    manager.register(Pause(), name="pause")
    return manager


@pytest.mark.parametrize(
    "hooks",
    [("length", "disclosure", "profanity", "flood", "shouting"), ("length", "pause", "profanity", "shouting")],
    ids=["built-ins only", "plug-in before"],
)
async def test_overrunning_builtin_hook_is_stopped_and_holds(
    hooks: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profanity, "find_profanity", _spin)
    moderator = Moderator(ModerationConfig(hooks=hooks, hook_timeout=0.2), _manager())
    started = time.process_time()  # CPU time: on a busy machine 0.2 s of it can take seconds of wall time
    # Not a plain line ("!": see plain.py), so the hooks look at it in full, under the timer.
    outcome = await moderator.moderate(MessageContext("HELLO EVERYONE HOW ARE YOU!", "en", 1, 1, 1, time.time()))
    assert time.process_time() - started < 2.0, "the built-in hook was not interrupted"
    # The hooks after it still ran, under a timer of their own: shouting masked, the more severe HOLD won.
    assert (outcome.action, outcome.reason, outcome.hook) == (Action.HOLD, "hook_timeout", "profanity")
    assert outcome.text == "Hello everyone how are you!"
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)


def test_shared_calls_share_one_budget_and_a_lone_call_gets_its_own() -> None:
    budget = CpuBudget()
    try:
        assert budget.call_shared(0.3, lambda: sum(range(1000))) == 499500
        with pytest.raises(DeadlineExceeded):
            budget.call_shared(0.3, _spin)
        assert budget.call_shared(0.3, lambda: "fresh timer after the overrun") == "fresh timer after the overrun"
        assert budget.call(0.3, lambda: "own timer") == "own timer"
        with pytest.raises(DeadlineExceeded):
            budget.call(0.2, _spin)
    finally:
        budget.close()
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)


async def test_timer_set_once_a_message_and_not_for_a_plain_line(monkeypatch: pytest.MonkeyPatch) -> None:
    set_for: list[float] = []
    real = deadline._set_timer

    def counted(seconds: float) -> None:
        set_for.append(seconds)
        real(seconds)

    monkeypatch.setattr(deadline, "_set_timer", counted)
    moderator = Moderator(ModerationConfig(hook_timeout=0.3), create_plugin_manager(load_entrypoints=False))
    # Plain (lower-case words, no digit, link or listed word): every built-in hook decides it with set look-ups.
    await moderator.moderate(MessageContext("what's your favourite subject at school?", "en", 1, 1, 1, 1.0))
    assert set_for == []
    # Anything else: the built-in hooks share one timer, set once.
    await moderator.moderate(MessageContext("call me 06 12 34 56 78", "en", 2, 1, 1, 1.0))
    await moderator.moderate(MessageContext("plain words, but " + "x" * 2_000, "en", 3, 1, 1, 1.0))
    assert set_for == [0.3, 0.3]
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)
