"""The signed address of a class's public calendar feed: made for the class page, read back by the feed route.

It sits below both `app.schools.classes` (which shows the address) and `app.schools.ics` (which serves the feed),
so neither imports the other to reach it.
"""

from __future__ import annotations

import anyio.to_thread
from itsdangerous import BadSignature, URLSafeSerializer

from app.settings import Settings

SALT = "bridgeway.class-calendar"


async def _signer(settings: Settings) -> URLSafeSerializer:
    secret = await anyio.to_thread.run_sync(settings.resolve_secret)  # may read the key file once
    return URLSafeSerializer(secret, salt=SALT)


async def feed_token(settings: Settings, class_id: int) -> str:
    """The signed, unguessable token naming a class's public feed (it never expires; it reveals only times)."""
    token: str = (await _signer(settings)).dumps(class_id)
    return token


async def feed_url(settings: Settings, class_id: int) -> str:
    """The feed's full address, to subscribe to in a calendar application."""
    return f"{settings.base_url.rstrip('/')}/ics/{await feed_token(settings, class_id)}.ics"


async def feed_class_id(settings: Settings, token: str) -> int | None:
    """The class a feed token names; None when the token was not signed by this server (or names no class id)."""
    try:
        class_id = (await _signer(settings)).loads(token)
    except BadSignature:
        return None
    return class_id if isinstance(class_id, int) else None
