"""Tests for the built-in `flood` hook: rate and repetition limits per participant, bounded memory."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.flood import FloodHook

CONFIG = ModerationConfig(flood_messages=3, flood_seconds=10.0, repeat_limit=2)


def _send(
    hook: FloodHook, text: str, at: float, participant: int = 1, translations: dict[str, str] | None = None
) -> Verdict | None:
    message = MessageContext(text, None, participant, 1, 1, at, translations or {})
    return hook.moderate_message(message=message, config=CONFIG)


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([0, 1, 2], [None, None, None]),
        ([0, 1, 2, 3], [None, None, None, "flood"]),
        ([0, 1, 2, 10.5], [None, None, None, None]),
        ([0, 0.1, 0.2, 0.3, 20], [None, None, None, "flood", None]),
    ],
    ids=["at-limit", "over-limit", "window-slides", "recovers"],
)
def test_flood_rate_limit(times: list[float], expected: list[str | None]) -> None:
    hook = FloodHook()
    verdicts = [_send(hook, f"message {i}", at) for i, at in enumerate(times)]
    assert [v.reason if v else None for v in verdicts] == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["hi", "hi"], [None, None]),
        (["hi", "hi", "hi"], [None, None, "repetition"]),
        (["hi", "HI", " hi "], [None, None, "repetition"]),
        (["hi", "hi", "yo", "hi", "hi"], [None, None, None, None, None]),
    ],
    ids=["at-limit", "over-limit", "case-and-space-insensitive", "broken-by-other-text"],
)
def test_flood_repetition(texts: list[str], expected: list[str | None]) -> None:
    hook = FloodHook()
    verdicts = [_send(hook, text, at * 20.0) for at, text in enumerate(texts)]
    assert [v.reason if v else None for v in verdicts] == expected


def test_flood_is_per_participant() -> None:
    hook = FloodHook()
    for at in range(3):
        _send(hook, f"a{at}", at, participant=1)
    assert _send(hook, "other", 3, participant=2) is None
    assert _send(hook, "more", 3, participant=1) == Verdict(Action.BLOCK, "flood")


def test_flood_second_pass_after_translation_is_not_counted_twice() -> None:
    hook = FloodHook()
    for at in range(3):
        assert _send(hook, f"m{at}", at) is None
        assert _send(hook, f"m{at}", at, translations={"en": "x"}) is None
    assert _send(hook, "m3", 3) == Verdict(Action.BLOCK, "flood")
    assert _send(hook, "m3", 3, translations={"en": "x"}) == Verdict(Action.BLOCK, "flood")


def test_flood_second_passes_finishing_after_later_messages_are_not_counted() -> None:
    """A fast typer: translations of earlier messages come back after the next messages' first passes."""
    hook = FloodHook()
    for at in range(3):
        assert _send(hook, f"m{at}", at) is None
    for at in range(3):
        assert _send(hook, f"m{at}", at, translations={"es": "x"}) is None


def test_flood_forget_participant_drops_state() -> None:
    hook = FloodHook()
    for at in range(3):
        _send(hook, f"a{at}", at)
    hook.forget_participant(participant_id=1)
    assert hook.tracked_participants() == 0
    assert _send(hook, "fresh", 3) is None


def test_flood_state_is_bounded() -> None:
    hook = FloodHook(max_participants=50)
    for participant in range(500):
        _send(hook, "hi", 0.0, participant=participant)
    assert hook.tracked_participants() == 50
