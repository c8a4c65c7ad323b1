"""Per-participant limits on the frames that cost the server (or a facilitator) more than they cost a client.

A student could otherwise send 200 `report` frames a second (200 safeguarding alerts and e-mails) or pull tens
of megabytes with repeated `resume` frames. `send` has its own limit (BRIDGEWAY_MESSAGE_RATE) in the pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from rooms.ratelimit import SlidingWindow

# frame type -> rate; documented in docs/protocol.md §3 ("Frame limits").
FRAME_RATES: Final[Mapping[str, str]] = MappingProxyType(
    {"report": "5/minute", "resume": "10/minute", "typing": "30/minute", "ping": "300/minute"}
)
# Over its limit a report or resume is answered `rate_limited`; typing and ping are dropped without a word
# (a typing indicator is relayed at most every 2 s anyway, and answering a ping flood would be the flood).
ANSWERED: Final = frozenset({"report", "resume"})


class FrameLimits:
    def __init__(self, rates: Mapping[str, str] = FRAME_RATES) -> None:
        self._windows = {kind: SlidingWindow(rate) for kind, rate in rates.items()}

    def retry_after(self, kind: str, participant_id: int) -> float | None:
        """Count one `kind` frame; None when allowed, else the seconds until the oldest hit leaves the window."""
        window = self._windows.get(kind)
        if window is None:
            return None
        now = time.monotonic()
        if window.hit(participant_id, now):
            return None
        return window.retry_after(participant_id, now)

    def forget(self, participant_id: int) -> None:
        for window in self._windows.values():
            window.forget(participant_id)
