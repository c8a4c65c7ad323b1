"""Built-in `flood` hook: per-participant rate and repetition limits, kept in bounded memory."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from rooms.moderation.config import ModerationConfig
from rooms.moderation.hookspecs import hookimpl
from rooms.moderation.normalise import normalise
from rooms.moderation.verdicts import Action, MessageContext, Verdict

MAX_PARTICIPANTS = 10_000  # least recently active participants are forgotten first beyond this
_MAX_TIMESTAMPS = 1_000
_REMEMBERED_VERDICTS = 32  # more than a student can send while one message is being translated


@dataclass(slots=True)
class _Recent:
    sent: deque[float] = field(default_factory=lambda: deque(maxlen=_MAX_TIMESTAMPS))
    last_text: str | None = None
    repeats: int = 0
    # First-pass verdicts by sent_at: the pass after translation repeats its message's verdict. Several are kept
    # because translations finish after the next messages' first passes when a student types fast.
    verdicts: OrderedDict[float, Verdict | None] = field(default_factory=OrderedDict)


def _comparable(text: str) -> str:
    """The text with its white space runs as one space, none at the ends: what counts as a repeat."""
    folded = normalise(text).folded
    # Folded text's only ASCII white space is " " (normalise turns the others into it), so ASCII text with no two
    # spaces together and none at its ends is already in this form: three C look-ups instead of a split and a join.
    if folded.isascii() and "  " not in folded and folded[:1] != " " and folded[-1:] != " ":
        return folded
    return " ".join(folded.split())


class FloodHook:
    """One instance per plugin manager so state belongs to the deployment, not the module."""

    BRIDGEWAY_INLINE = True

    def __init__(self, max_participants: int = MAX_PARTICIPANTS) -> None:
        self._max_participants = max_participants
        self._state: OrderedDict[int, _Recent] = OrderedDict()

    def tracked_participants(self) -> int:
        """How many participants currently have state (for tests and metrics)."""
        return len(self._state)

    @hookimpl
    def moderate_message(self, message: MessageContext, config: ModerationConfig) -> Verdict | None:
        """BLOCK "flood" past `flood_messages` in `flood_seconds`; BLOCK "repetition" past `repeat_limit` repeats.

        The pass after translation (translations present, the `sent_at` of a message counted recently) repeats
        that message's first-pass verdict instead of counting it twice, in whatever order translations finish.
        """
        recent = self._state.get(message.participant_id)
        if recent is None:
            recent = self._state[message.participant_id] = _Recent()
            while len(self._state) > self._max_participants:
                self._state.popitem(last=False)
        else:
            self._state.move_to_end(message.participant_id)
        if message.translations and message.sent_at in recent.verdicts:
            return recent.verdicts[message.sent_at]
        verdict = self._judge(recent, message.sent_at, _comparable(message.text), config)
        recent.verdicts[message.sent_at] = verdict
        while len(recent.verdicts) > _REMEMBERED_VERDICTS:
            recent.verdicts.popitem(last=False)
        return verdict

    @staticmethod
    def _judge(recent: _Recent, sent_at: float, text: str, config: ModerationConfig) -> Verdict | None:
        window_start = sent_at - config.flood_seconds
        while recent.sent and recent.sent[0] <= window_start:
            recent.sent.popleft()
        recent.sent.append(sent_at)
        recent.repeats = recent.repeats + 1 if text == recent.last_text else 1
        recent.last_text = text
        if len(recent.sent) > config.flood_messages:
            return Verdict(Action.BLOCK, "flood")
        if recent.repeats > config.repeat_limit:
            return Verdict(Action.BLOCK, "repetition")
        return None

    @hookimpl
    def forget_participant(self, participant_id: int) -> None:
        """Drop the participant's counters."""
        self._state.pop(participant_id, None)


def create_plugin() -> FloodHook:
    """Fresh state for each plugin manager (see `create_plugin_manager`)."""
    return FloodHook()
