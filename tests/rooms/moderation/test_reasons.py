"""Plain words for every reason code a built-in hook or the pipeline gives."""

from __future__ import annotations

from rooms.moderation import plain_reason
from rooms.moderation.reasons import known_reasons


def test_plain_reason_covers_every_builtin_reason() -> None:
    builtin = {
        "contact_email",
        "contact_phone",
        "contact_handle",
        "contact_invite",
        "link",
        "profanity",
        "flood",
        "repetition",
        "too_long",
        "empty",
        "shouting",
        "hook_error",
        "hook_timeout",
        "slow_mode",
    }
    assert builtin <= known_reasons()
    assert "phone number" in plain_reason("contact_phone")
    assert plain_reason(None) == plain_reason("made_up_by_a_plugin")
    assert all(plain_reason(reason).endswith(".") for reason in known_reasons())
