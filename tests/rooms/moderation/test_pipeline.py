"""The moderation pipeline: hook order and severity, failing closed, time limits, the pass over translations."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pluggy
import pytest

from rooms.moderation import (
    DEFAULT_HOOKS,
    Action,
    MessageContext,
    ModerationConfig,
    ModerationOutcome,
    Moderator,
    Verdict,
    create_plugin_manager,
)
from rooms.moderation.hookspecs import hookimpl

HERE = Path(__file__).parent


def _message(text: str, participant: int = 1, at: float = 0.0, **kw: object) -> MessageContext:
    language = kw.get("language")
    translations = kw.get("translations") or {}
    assert language is None or isinstance(language, str)
    assert isinstance(translations, dict)
    return MessageContext(text, language, participant, 7, 3, at, translations)


class Returns:
    """A test plug-in returning a fixed verdict and recording the text it was shown."""

    def __init__(self, verdict: object) -> None:
        self.verdict = verdict
        self.seen: list[str] = []

    @hookimpl
    def moderate_message(self, message: MessageContext) -> object:
        self.seen.append(message.text)
        return self.verdict


class Raises:
    @hookimpl
    def moderate_message(self, message: MessageContext) -> Verdict | None:
        raise RuntimeError("plug-in bug")


class SlowAsync:
    @hookimpl
    async def moderate_message(self, message: MessageContext) -> Verdict | None:
        await asyncio.sleep(5)
        return None


class SlowThread:
    @hookimpl
    def moderate_message(self, message: MessageContext) -> Verdict | None:
        time.sleep(0.3)  # blocking: must run off the event loop
        return None


class SlowInline:
    BRIDGEWAY_INLINE = True

    @hookimpl
    def moderate_message(self, message: MessageContext) -> Verdict | None:
        time.sleep(0.1)
        return None


def _manager(**plugins: object) -> pluggy.PluginManager:
    manager = create_plugin_manager(load_entrypoints=False)
    for name, plugin in plugins.items():
        manager.register(plugin, name=name)
    return manager


async def test_pipeline_default_hooks_on_real_messages() -> None:
    moderator = Moderator(ModerationConfig(), _manager())
    cases = [
        ("Hello! I'm Ana, 14, from Madrid.", Action.ALLOW, None, "Hello! I'm Ana, 14, from Madrid."),
        ("call me 06 12 34 56 78", Action.BLOCK, "contact_phone", "call me 06 12 34 56 78"),
        ("WHAT THE FUCK IS THIS HOMEWORK", Action.MASK, "profanity", "What the **** is this homework"),
        ("look at example.com/cats", Action.BLOCK, "link", "look at example.com/cats"),
    ]
    for at, (text, action, reason, delivered) in enumerate(cases):
        outcome = await moderator.moderate(_message(text, at=at * 100.0))
        assert (outcome.action, outcome.reason, outcome.text) == (action, reason, delivered)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ((None, None), ModerationOutcome(Action.ALLOW, None, "hi", None)),
        ((Verdict(Action.ALLOW, "fine"), None), ModerationOutcome(Action.ALLOW, None, "hi", None)),
        ((Verdict(Action.MASK, "a", "h*"), None), ModerationOutcome(Action.MASK, "a", "h*", "first")),
        (
            (Verdict(Action.MASK, "a", "h*"), Verdict(Action.HOLD, "b")),
            ModerationOutcome(Action.HOLD, "b", "h*", "second"),
        ),
        (
            (Verdict(Action.HOLD, "a"), Verdict(Action.MASK, "b", "x")),
            ModerationOutcome(Action.HOLD, "a", "x", "first"),
        ),
        ((Verdict(Action.HOLD, "a"), Verdict(Action.HOLD, "b")), ModerationOutcome(Action.HOLD, "a", "hi", "first")),
        ((None, Verdict(Action.BLOCK, "b")), ModerationOutcome(Action.BLOCK, "b", "hi", "second")),
    ],
    ids=["allow", "explicit-allow", "mask", "hold-beats-mask", "first-hold-kept", "equal-severity-first", "block"],
)
async def test_pipeline_most_severe_verdict_wins(
    verdicts: tuple[Verdict | None, Verdict | None], expected: ModerationOutcome
) -> None:
    first, second = Returns(verdicts[0]), Returns(verdicts[1])
    moderator = Moderator(ModerationConfig(hooks=("first", "second")), _manager(first=first, second=second))
    assert await moderator.moderate(_message("hi")) == expected


async def test_pipeline_runs_hooks_in_configured_order_and_block_stops() -> None:
    masker, blocker, after = (
        Returns(Verdict(Action.MASK, "m", "masked")),
        Returns(Verdict(Action.BLOCK, "b")),
        Returns(None),
    )
    manager = _manager(masker=masker, blocker=blocker, after=after)
    outcome = await Moderator(ModerationConfig(hooks=("masker", "blocker", "after")), manager).moderate(_message("raw"))
    assert (outcome.action, outcome.reason, outcome.hook) == (Action.BLOCK, "b", "blocker")
    assert (masker.seen, blocker.seen, after.seen) == (["raw"], ["masked"], [])
    reordered = await Moderator(ModerationConfig(hooks=("after", "masker")), manager).moderate(_message("raw"))
    assert (reordered.action, after.seen) == (Action.MASK, ["raw"])


async def test_pipeline_disabled_hooks_do_not_run() -> None:
    moderator = Moderator(ModerationConfig(hooks=("length",)), _manager())
    assert (await moderator.moderate(_message("call me 06 12 34 56 78"))).action is Action.ALLOW


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [
        (Raises(), "hook_error"),
        (Returns("allow"), "hook_error"),
        (Returns(42), "hook_error"),
        (Returns(Verdict(Action.MASK, "m")), "hook_error"),
        (Returns(Verdict("block", "b")), "hook_error"),  # type: ignore[arg-type]
        (SlowAsync(), "hook_timeout"),
        (SlowThread(), "hook_timeout"),
        (SlowInline(), "hook_timeout"),
    ],
    ids=[
        "raises",
        "returns-string",
        "returns-int",
        "mask-without-text",
        "action-not-enum",
        "slow-async",
        "slow-sync-thread",
        "slow-inline",
    ],
)
async def test_pipeline_fails_closed(plugin: object, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    after = Returns(None)
    config = ModerationConfig(hooks=("bad", "after"), hook_timeout=0.05)
    with caplog.at_level(logging.WARNING, logger="rooms.moderation.pipeline"):
        outcome = await Moderator(config, _manager(bad=plugin, after=after)).moderate(_message("hello"))
    assert outcome == ModerationOutcome(Action.HOLD, reason, "hello", "bad")
    assert after.seen == ["hello"]  # a later BLOCK could still win
    assert "'bad'" in caplog.text
    assert "hello" not in caplog.text  # students' words stay out of the logs


async def test_pipeline_unregistered_hook_holds(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="rooms.moderation.pipeline"):
        moderator = Moderator(ModerationConfig(hooks=("length", "not-installed")), _manager())
        outcome = await moderator.moderate(_message("hello"))
    assert (outcome.action, outcome.reason, outcome.hook) == (Action.HOLD, "hook_error", "not-installed")
    assert "not-installed" in caplog.text


async def test_pipeline_never_raises_on_malformed_context() -> None:
    broken = MessageContext("hello", None, 1, 1, 1, 0.0, None)  # type: ignore[arg-type]
    outcome = await Moderator(ModerationConfig(), _manager()).moderate(broken)
    assert (outcome.action, outcome.reason) == (Action.HOLD, "hook_error")


@pytest.mark.parametrize(
    "hooks", [DEFAULT_HOOKS, ("contact", "profanity", "links", "shouting")], ids=["all", "no-length"]
)
async def test_pipeline_huge_input_blocked_quickly(hooks: tuple[str, ...]) -> None:
    moderator = Moderator(ModerationConfig(hooks=hooks), _manager())
    started = time.perf_counter()
    outcome = await moderator.moderate(_message("f u c k 0 6 " * 200_000))
    assert (outcome.action, outcome.reason) == (Action.BLOCK, "too_long")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "\u200b" * 50 + "hi",
        "a\u0301" * 500,
        "\u0645\u0631\u062d\u0628\u0627 hello \u4f60\u597d \u0928\u092e\u0938\u094d\u0924\u0947",
        "\U0001f600" * 300,
        "\x00\x01\x7f",
        "@" * 1500,
        "1 " * 999,
        "f " * 999,
    ],
    ids=["zero-width", "combining", "mixed-scripts", "emoji", "controls", "symbols", "digits", "letters"],
)
async def test_pipeline_defensive_inputs_complete(text: str) -> None:
    moderator = Moderator(ModerationConfig(hook_timeout=0.5), _manager())
    outcome = await moderator.moderate(_message(text))
    assert outcome.reason not in ("hook_error", "hook_timeout")


async def test_pipeline_checks_translations_on_second_pass() -> None:
    moderator = Moderator(ModerationConfig(), _manager())
    first = await moderator.moderate(_message("mi n\u00famero es el de siempre", language="es"))
    assert first.action is Action.ALLOW
    second = await moderator.moderate(
        _message("mi n\u00famero es el de siempre", language="es", translations={"en": "my number is 0612345678"})
    )
    assert (second.action, second.reason) == (Action.BLOCK, "contact_phone")
    slur = await moderator.moderate(
        _message("eres tonto", at=50, language="es", translations={"en": "you fucking fool"})
    )
    assert (slur.action, slur.reason, slur.hook) == (Action.HOLD, "profanity", "profanity")


async def test_hook_forget_participant_through_moderator() -> None:
    moderator = Moderator(ModerationConfig(hooks=("flood",), flood_messages=1), _manager())
    assert (await moderator.moderate(_message("a", at=0))).action is Action.ALLOW
    assert (await moderator.moderate(_message("b", at=1))).reason == "flood"
    moderator.forget_participant(1)
    assert (await moderator.moderate(_message("c", at=2))).action is Action.ALLOW


def test_forget_participant_survives_a_failing_plugin(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        @hookimpl
        def forget_participant(self, participant_id: int) -> None:
            raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="rooms.moderation.pipeline"):
        Moderator(ModerationConfig(), _manager(broken=Broken())).forget_participant(1)
    assert "broken" in caplog.text
