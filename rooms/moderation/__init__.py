"""Message moderation, a part of its own: pluggy hook specs, the pipeline that runs them, the built-in hooks.

This package imports nothing else from rooms/ (nor from app/): the room code calls it, never the other way
round, so a hook can be read, tested and benchmarked without a room, a database or a broker
(tests/rooms/moderation/test_imports.py checks it on the import graph). Its modules:

- `hookspecs`: the hook specifications and the `hookimpl` marker plug-ins use;
- `verdicts`, `config`: what hooks receive and answer, and the settings they read;
- `plugins`, `pipeline`: the plugin manager (built-ins registered like third-party plug-ins) and `Moderator`;
- `normalise`, `confusables`, `numbers`, `contact_view`: the normalised views of a message hooks match on;
- `emails`, `phones`, `handles`: contact-detail detectors the `contact` hook combines;
- `_alternation`: word lists as regex tries the engine scans fast (no look-behind in front);
- `plain`: the plain-line reading of a message, which lets hooks skip the matchers that cannot fire on it;
- `hooks/<name>`: the built-in hooks; `wordlists/`: their word and phrase lists (package data);
- `reasons`: plain words for the reason codes; `deadline`: CPU-time budgets for inline hooks.

A plug-in needs only what this module exports: `from rooms.moderation import hookimpl, Action, Verdict`.
"""

from __future__ import annotations

from rooms.moderation.config import ModerationConfig
from rooms.moderation.hooks import DEFAULT_HOOKS
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.pipeline import Moderator
from rooms.moderation.plugins import create_plugin_manager, default_plugin_manager
from rooms.moderation.reasons import plain_reason
from rooms.moderation.verdicts import Action, MessageContext, ModerationOutcome, Verdict

__all__ = [
    "DEFAULT_HOOKS",
    "Action",
    "MessageContext",
    "ModerationConfig",
    "ModerationOutcome",
    "Moderator",
    "Verdict",
    "create_plugin_manager",
    "default_plugin_manager",
    "hookimpl",
    "plain_reason",
]
