"""Per-participant sliding-window message limit, in process: cheap enough to run on every message."""

from __future__ import annotations

import time
from collections import deque

from limits import parse


class SlidingWindow:
    """At most ``amount`` hits per ``seconds`` per key (a participant is served by one process at a time).

    The `limits` library's in-memory moving window runs a cleanup task over every key in a worker thread, which
    cost ~380 µs of CPU per message under load; this costs a deque append.
    """

    def __init__(self, rate: str) -> None:
        item = parse(rate)
        self.amount = item.amount
        self.seconds = float(item.get_expiry())
        self._hits: dict[int, deque[float]] = {}

    def hit(self, key: int, now: float | None = None) -> bool:
        """Record a hit for ``key``; False (and nothing recorded) when the window is already full."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.amount:
            return False
        hits.append(now)
        return True

    def retry_after(self, key: int, now: float | None = None) -> float:
        """Seconds until ``key`` may hit again (0 when it may now)."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if not hits or len(hits) < self.amount:
            return 0.0
        return max(0.0, hits[0] + self.seconds - now)

    def forget(self, key: int) -> None:
        self._hits.pop(key, None)
