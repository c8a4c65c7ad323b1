"""Which moderator judges a session's messages: the deployment's, or one with the session's overrides applied.

One owner for that choice, built before the services that ask it (the message pipeline's first pass, the
translator's second pass, the socket that loads a session's overrides), so each gets it in its constructor.
"""

from __future__ import annotations

import logging

from rooms.models import ExchangeSession
from rooms.moderation import Moderator

log = logging.getLogger(__name__)


class SessionModerators:
    def __init__(self, default: Moderator) -> None:
        self.default = default
        self._by_session: dict[int, Moderator] = {}

    def for_session(self, session_id: int) -> Moderator:
        """The deployment's moderator with this session's overrides (e.g. its link allow-list) applied."""
        return self._by_session.get(session_id, self.default)

    def load(self, exchange_session: ExchangeSession) -> None:
        """Apply a session's `moderation` overrides (invalid ones are logged, and the defaults stay)."""
        if exchange_session.id is None or not exchange_session.moderation:
            return
        try:
            config = self.default.config.merged(exchange_session.moderation)
        except ValueError:
            log.exception("session %s has invalid moderation overrides; using the defaults", exchange_session.id)
            return
        self._by_session[exchange_session.id] = Moderator(config, self.default.plugin_manager)

    def forget_participant(self, participant_id: int) -> None:
        """Drop every plug-in's state about a participant (session moderators share the default's plug-ins)."""
        self.default.forget_participant(participant_id)
