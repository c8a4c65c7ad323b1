"""Login back-off per client address and username: guessing slows down; nobody else can lock a teacher out.

A hard per-account lock lets anyone lock a teacher out mid-lesson by typing wrong passwords. Here failures
count per (address, username) pair: after ``failures`` of them that pair waits ``first_seconds``, doubling on
each further round up to ``max_seconds``; a success clears it. The state lives in the rate-limit storage
(Redis when the broker is Redis, so every worker sees it) and never depends on whether the account exists,
so the answer for an unknown username is the same as for a known one.
"""

from __future__ import annotations

from limits.aio.storage import MemoryStorage, RedisStorage, Storage

from app.settings import Settings

STRIKES_EXPIRY = 24 * 3600  # rounds of back-off are remembered this long, so doubling survives short pauses


class LoginBackoff:
    def __init__(self, storage: Storage, failures: int, first_seconds: int, max_seconds: int) -> None:
        self._storage = storage
        self.failures = failures
        self.first_seconds = first_seconds
        self.max_seconds = max(max_seconds, first_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginBackoff:
        storage: Storage
        if settings.broker_url.startswith("redis"):
            storage = RedisStorage("async+" + settings.broker_url, implementation="redispy")
        else:
            storage = MemoryStorage()
        return cls(
            storage,
            settings.login_lockout_failures,
            settings.login_backoff_seconds,
            settings.login_lockout_minutes * 60,
        )

    @staticmethod
    def _key(kind: str, client: str, username: str) -> str:
        return f"bw-login-{kind}/{client}/{username.lower()}"

    async def waiting(self, client: str, username: str) -> bool:
        """True while this address must wait before trying this username again."""
        return await self._storage.get(self._key("wait", client, username)) > 0

    async def failed(self, client: str, username: str) -> None:
        count = await self._storage.incr(self._key("fail", client, username), self.max_seconds)
        if count < self.failures:
            return
        strikes = await self._storage.incr(self._key("strikes", client, username), STRIKES_EXPIRY)
        wait = min(self.first_seconds * 2 ** min(strikes - 1, 20), self.max_seconds)
        await self._storage.incr(self._key("wait", client, username), wait)
        await self._storage.clear(self._key("fail", client, username))

    async def succeeded(self, client: str, username: str) -> None:
        for kind in ("fail", "strikes", "wait"):
            await self._storage.clear(self._key(kind, client, username))
