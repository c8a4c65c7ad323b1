"""Rate limits for joins and logins (the `limits` library: moving windows, memory or Redis storage).

Joining is limited so that a class behind one school address can join at once while guessing class codes stays
slow: wrong codes are counted per address, successful joins per class code and per session (README, "Joining").
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.settings import Settings

log = logging.getLogger(__name__)


class RateLimits:
    """Shared across processes when the broker is Redis, so a brute force cannot spread over workers.

    The join methods answer ``None`` when the request may go on, else the seconds until a retry can succeed.
    """

    def __init__(self, settings: Settings) -> None:
        storage: Storage
        if settings.broker_url.startswith("redis"):
            storage = RedisStorage("async+" + settings.broker_url, implementation="redispy")
        else:
            storage = MemoryStorage()
        self._shared = MovingWindowRateLimiter(storage)
        # While Redis is unreachable each process counts on its own (limits still hold, per process) instead of
        # answering 500 to a class joining: a broker blip must not stop a lesson (issue 14).
        self._local = None if isinstance(storage, MemoryStorage) else MovingWindowRateLimiter(MemoryStorage())
        self._warned_at = 0.0
        self.join_failures = parse(settings.join_failure_rate)
        # "This address already tried this wrong code in the window": one hit per (address, code).
        self._seen_code: RateLimitItem = type(self.join_failures)(1, self.join_failures.multiples)
        self.join_per_code = parse(settings.join_code_rate)
        self.join_per_session = parse(settings.join_session_rate)
        self.login = parse(settings.login_rate)

    async def check_code_guesses(self, client: str) -> int | None:
        """May this address still try class codes? Read-only: a right code costs nothing.

        Asked after the lookup, for right codes too, so that once an address is over its budget every answer is
        429 and a right code cannot be told from a wrong one.
        """
        if await self._use("test", self.join_failures, "join-fail", client):
            return None
        return await self._retry_after(self.join_failures, "join-fail", client)

    async def record_wrong_code(self, client: str, code: str) -> int | None:
        """Count an unknown or expired code against the address, once per distinct code in the window.

        A class copying the same typo (or an expired code) from the board costs one guess, not thirty. The
        address's count is a single atomic hit, so concurrent guesses cannot overshoot the budget.
        """
        refused = await self.check_code_guesses(client)
        if refused is not None:
            return refused
        if not await self._use("hit", self._seen_code, "join-fail-code", client, _digest(code)):
            return None
        if await self._use("hit", self.join_failures, "join-fail", client):
            return None
        return await self._retry_after(self.join_failures, "join-fail", client)

    async def admit_join(self, code: str, session_id: int) -> int | None:
        """Count one join that reached the final step with a valid code, per class code and per session."""
        if not await self._use("hit", self.join_per_code, "join-code", _digest(code)):
            return await self._retry_after(self.join_per_code, "join-code", _digest(code))
        if not await self._use("hit", self.join_per_session, "join-session", str(session_id)):
            return await self._retry_after(self.join_per_session, "join-session", str(session_id))
        return None

    async def allow_login(self, client: str, username: str) -> bool:
        by_client = await self._use("hit", self.login, "login-ip", client)
        by_user = await self._use("hit", self.login, "login-user", username.lower())
        return bool(by_client and by_user)

    async def _use(self, method: str, item: RateLimitItem, *ids: str) -> Any:
        """Call ``method`` of the shared limiter; while its Redis is unreachable, of this process's own."""
        try:
            return await getattr(self._shared, method)(item, *ids)
        except Exception as exc:  # limits lets the Redis client's errors through (connection, timeout, ...)
            if self._local is None:
                raise
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                log.warning("rate-limit storage unreachable (%r); counting in this process until it is back", exc)
            return await getattr(self._local, method)(item, *ids)

    async def _retry_after(self, item: RateLimitItem, *ids: str) -> int:
        stats = await self._use("get_window_stats", item, *ids)
        return max(1, math.ceil(float(stats.reset_time) - time.time()))


def _digest(code: str) -> str:
    """Keys hold a digest, not what was typed: guesses are not stored in Redis, and keys stay short and plain."""
    return hashlib.blake2b(code.strip().upper().encode("utf-8", "replace"), digest_size=8).hexdigest()
