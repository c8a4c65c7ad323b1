"""A deployment's moderation settings merged with a session's overrides, validated once on construction."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rooms.moderation.hooks import DEFAULT_HOOKS
from rooms.moderation.verdicts import Action

_INT_FIELDS = ("max_length", "flood_messages", "repeat_limit", "shouting_min_letters")
_FLOAT_FIELDS = ("flood_seconds", "shouting_ratio", "hook_timeout")


def _string_tuple(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list of strings")
    items = tuple(value)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError(f"{name} must contain only non-empty strings")
    return tuple(item.strip() for item in items)


@dataclass(frozen=True, slots=True)
class ModerationConfig:
    """Deployment defaults merged with per-session overrides; validated and normalised on construction."""

    hooks: tuple[str, ...] = DEFAULT_HOOKS
    contact_action: Action = Action.BLOCK
    link_allowlist: tuple[str, ...] = ()
    extra_words: tuple[str, ...] = ()
    max_length: int = 2000
    flood_messages: int = 5
    flood_seconds: float = 10.0
    repeat_limit: int = 3
    shouting_min_letters: int = 12
    shouting_ratio: float = 0.8
    hook_timeout: float = 0.5

    def __post_init__(self) -> None:
        hooks = _string_tuple("hooks", self.hooks)
        if len(set(hooks)) != len(hooks):
            raise ValueError("hooks must not list a hook twice")
        try:
            contact_action = Action(self.contact_action)
        except ValueError:
            raise ValueError("contact_action must be 'block' or 'mask'") from None
        if contact_action not in (Action.BLOCK, Action.MASK):
            raise ValueError("contact_action must be 'block' or 'mask'")
        domains = tuple(
            d.lower().strip(".").removeprefix("*.") for d in _string_tuple("link_allowlist", self.link_allowlist)
        )
        object.__setattr__(self, "hooks", hooks)
        object.__setattr__(self, "contact_action", contact_action)
        object.__setattr__(self, "link_allowlist", domains)
        object.__setattr__(self, "extra_words", _string_tuple("extra_words", self.extra_words))
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer")
        for name in _FLOAT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a positive number")
            object.__setattr__(self, name, float(value))
        if self.shouting_ratio > 1:
            raise ValueError("shouting_ratio must be at most 1")

    def merged(self, overrides: Mapping[str, object]) -> ModerationConfig:
        """Return a copy with a session's overrides applied; unknown keys or bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown moderation settings: {', '.join(unknown)}")
        changes: dict[str, Any] = dict(overrides)  # checked by __post_init__, which replace() runs
        return dataclasses.replace(self, **changes)
