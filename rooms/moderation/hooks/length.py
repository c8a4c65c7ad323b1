"""Built-in `length` hook: block empty messages and messages over the configured length."""

from __future__ import annotations

from rooms.moderation.config import ModerationConfig
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import normalise
from rooms.moderation.verdicts import Action, MessageContext, Verdict

BRIDGEWAY_INLINE = True  # pure CPU, microseconds: run on the event loop


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """BLOCK "too_long" above `config.max_length` characters; BLOCK "empty" when nothing visible remains."""
    if len(message.text) > config.max_length:
        return Verdict(Action.BLOCK, "too_long")
    # Zero-width and control characters fold away, so a message made only of them counts as empty.
    if not normalise(message.text).folded.strip():
        return Verdict(Action.BLOCK, "empty")
    return None
