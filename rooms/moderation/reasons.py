"""Plain-words explanations of moderation reason codes, written for the student whose message was stopped."""

from __future__ import annotations

_SAFETY = "To keep everyone safe, contact details can't be shared here."

_PLAIN_REASONS: dict[str, str] = {
    "contact_email": f"Your message looked like it contained an e-mail address. {_SAFETY}",
    "contact_phone": f"Your message looked like it contained a phone number. {_SAFETY}",
    "contact_handle": f"Your message looked like it contained a social-media or messaging-app name. {_SAFETY}",
    "contact_invite": f"Your message looked like it contained an invite link to another app or group. {_SAFETY}",
    "address": f"Your message looked like it contained a home address or postcode. {_SAFETY}",
    "link": "Links can't be shared in this room, except to websites your teacher has allowed.",
    "profanity": "Some words in your message aren't allowed here, so they were hidden. Please keep it friendly.",
    "flood": "You're sending messages very quickly. Please wait a few seconds before sending another one.",
    "repetition": "You've sent the same message several times. Try writing something new.",
    "too_long": "Your message is too long. Please split it into shorter messages.",
    "empty": "Your message was empty, so there was nothing to send.",
    "shouting": "Your message was written all in capital letters, so it was changed to normal letters.",
    "hook_error": "Your message is waiting for your teacher to check it, because the safety check didn't finish.",
    "hook_timeout": "Your message is waiting for your teacher to check it, because the safety check took too long.",
    "slow_mode": "This room is in slow mode. Please wait a little before sending another message.",
}

_FALLBACK = "Your message was stopped by this room's safety rules. Your teacher can tell you more."


def plain_reason(reason: str | None) -> str:
    """Explain a verdict's reason code in plain words a student understands; unknown codes get a gentle fallback.

    Third-party plug-ins may use their own codes, so this never raises.
    """
    if reason is None:
        return _FALLBACK
    return _PLAIN_REASONS.get(reason, _FALLBACK)


def known_reasons() -> frozenset[str]:
    """Every reason code that has its own explanation (tests check each built-in hook's codes are covered)."""
    return frozenset(_PLAIN_REASONS)
