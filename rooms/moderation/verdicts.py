"""What a hook is given (`MessageContext`), what it answers (`Verdict`) and what the pipeline decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """What happens to a message; declaration order is severity order."""

    ALLOW = "allow"
    MASK = "mask"
    HOLD = "hold"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {action: rank for rank, action in enumerate(Action)}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One hook's judgement; `text` is the masked message for MASK, `reason` a stable code (see plain_reason).

    `alert` asks for a safeguarding alert whatever the action: a child disclosing harm is delivered (ALLOW) and
    the safeguarding contacts are told, with `alert` as the stable code of why ("disclosure_harm" ...).
    """

    action: Action
    reason: str | None = None
    text: str | None = None
    alert: str | None = None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """A message as hooks see it; `translations` maps target language to text on the pass after translation."""

    text: str
    language: str | None
    participant_id: int
    room_id: int
    session_id: int
    sent_at: float
    translations: Mapping[str, str] = field(default_factory=dict)
    # ISO 3166 codes of the countries whose schools share the room (phone and postcode formats); () = defaults.
    countries: tuple[str, ...] = ()
    # Pseudonyms of the room's members: "@Maria" addressing one of them is not a social-media handle.
    member_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModerationOutcome:
    """The pipeline's decision: `text` is what to deliver (masked if anything masked), `hook` who decided.

    `alert` is the first safeguarding alert code any hook raised (None: no alert), independent of `action`: the
    caller raises a safeguarding alert for it even when the message is delivered.
    """

    action: Action
    reason: str | None
    text: str
    hook: str | None = None
    alert: str | None = None
