"""The subscribed Redis connection, parsed by hiredis (redis-py's own C parser) in ``data_received``.

redis-py's ``PubSub.get_message`` costs a retry wrapper, a timeout context and an observability hook per message:
in a two-process profile its reader was a third of the event loop's busy time. Subscribed, a connection only ever
receives pushes and confirmations, so this protocol feeds the bytes to a ``hiredis.Reader`` and hands each reply on
synchronously, in the order Redis sent it.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Union, cast
from urllib.parse import unquote, urlparse

import hiredis

CONNECT_TIMEOUT = 2.0
Reply = Union[bytes, int, list["Reply"], "ReplyError", None]


class ReplyError(Exception):
    """An error reply (``-ERR ...``), e.g. a refused AUTH."""


class ProtocolError(Exception):
    """Bytes that are not RESP2: the connection is dropped and made again."""


class RedisSubscriber(asyncio.Protocol):
    """One connection in subscribe mode; ``lost`` resolves when it closes (for whatever reason)."""

    def __init__(self, on_reply: Callable[[Reply], None]) -> None:
        self._on_reply = on_reply
        self._reader = hiredis.Reader(protocolError=ProtocolError, replyError=ReplyError)
        self._transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        try:
            while (reply := self._reader.gets()) is not False:
                self._on_reply(reply)
        except ProtocolError:
            self.close()

    def send(self, *args: str) -> None:
        """Write one command (``SUBSCRIBE a b``); its replies arrive through ``on_reply``."""
        self.write(hiredis.pack_command(args))  # type: ignore[arg-type]  # its stub types a 1-tuple

    def write(self, packed: bytes) -> None:
        """Write commands already packed (``hiredis.pack_command``)."""
        if self._transport is None or self._transport.is_closing():
            raise ConnectionError("redis connection is closed")
        self._transport.write(packed)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()  # not close(): that waits for unsent bytes, forever on a link gone silent


async def connect(url: str, on_reply: Callable[[Reply], None]) -> RedisSubscriber:
    """Open a connection to the Redis of ``url`` (AUTH when it names a password; TLS for ``rediss://``)."""
    parsed = urlparse(url)
    context = ssl.create_default_context() if parsed.scheme == "rediss" else None
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(CONNECT_TIMEOUT):
        _, subscriber = await loop.create_connection(
            lambda: RedisSubscriber(on_reply), parsed.hostname or "127.0.0.1", parsed.port or 6379, ssl=context
        )
    if parsed.password:
        user = unquote(parsed.username) if parsed.username else None
        subscriber.send("AUTH", *([user] if user else []), unquote(parsed.password))
    return subscriber
