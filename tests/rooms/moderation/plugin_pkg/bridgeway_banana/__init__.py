"""A tiny third-party moderation plug-in, installed in tests through an entry point: holds messages about bananas."""

from __future__ import annotations

from rooms.moderation import Action, MessageContext, Verdict
from rooms.moderation.hookspecs import hookimpl


@hookimpl
async def moderate_message(message: MessageContext) -> Verdict | None:
    """HOLD "banana" for any message mentioning bananas (async, and taking only the argument it needs)."""
    if "banana" in message.text.lower():
        return Verdict(Action.HOLD, "banana")
    return None
