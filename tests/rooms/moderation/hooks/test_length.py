"""Tests for the built-in `length` hook."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.length import moderate_message as length_hook

CONFIG = ModerationConfig(max_length=20)


def _message(text: str, language: str | None = None) -> MessageContext:
    return MessageContext(text, language, 1, 1, 1, 0.0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x" * 21, "too_long"),
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\u200b\u200d\ufeff", "empty"),
        ("x" * 20, None),
        ("hi", None),
        ("\u0645\u0631\u062d\u0628\u0627", None),
        ("\U0001f44b", None),
    ],
    ids=["over", "empty", "whitespace", "zero-width-only", "at-limit", "short", "arabic", "emoji"],
)
def test_length_limits(text: str, reason: str | None) -> None:
    expected = Verdict(Action.BLOCK, reason) if reason else None
    assert length_hook(message=_message(text), config=CONFIG) == expected
