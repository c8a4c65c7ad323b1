"""Built-in `shouting` hook: turn all-capitals messages into sentence case instead of refusing them."""

from __future__ import annotations

import re

from rooms.hookspecs import hookimpl
from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict

BRIDGEWAY_INLINE = True

_SENTENCE_START = re.compile(r"(^|[.!?¡¿]\s+|\n\s*)(\W*)(\w)")


_ENGLISH_I = re.compile(r"\bi\b(?!\.\w)")


def sentence_case(text: str, language: str | None = None) -> str:
    """Lower-case everything, then capitalise each sentence's first letter (and, in English, the pronoun I)."""
    cased = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2) + m.group(3).upper(), text.lower())
    if language is None or language.lower().startswith("en"):
        cased = _ENGLISH_I.sub("I", cased)
    return cased


@hookimpl
def moderate_message(message: MessageContext, config: ModerationConfig) -> Verdict | None:
    """MASK "shouting" when there are enough cased letters and nearly all of them are capitals."""
    text = message.text
    if text == text.lower():
        return None  # no capitals at all: the common case, decided in C
    upper = sum(1 for ch in text if ch.isupper())
    lower = sum(1 for ch in text if ch.islower())
    cased = upper + lower
    if cased < config.shouting_min_letters or upper < config.shouting_ratio * cased:
        return None
    return Verdict(Action.MASK, "shouting", sentence_case(message.text, message.language))
