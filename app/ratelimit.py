"""Rate limits for joins and logins (the `limits` library: moving windows, memory or Redis storage)."""

from __future__ import annotations

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.settings import Settings


class RateLimits:
    """Shared across processes when the broker is Redis, so a brute force cannot spread over workers."""

    def __init__(self, settings: Settings) -> None:
        storage: Storage
        if settings.broker_url.startswith("redis"):
            storage = RedisStorage("async+" + settings.broker_url, implementation="redispy")
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        self.join = parse(settings.join_rate)
        self.login = parse(settings.login_rate)

    async def allow_join(self, client: str) -> bool:
        return await self._limiter.hit(self.join, "join", client)

    async def allow_login(self, client: str, username: str) -> bool:
        by_client = await self._limiter.hit(self.login, "login-ip", client)
        by_user = await self._limiter.hit(self.login, "login-user", username.lower())
        return by_client and by_user
