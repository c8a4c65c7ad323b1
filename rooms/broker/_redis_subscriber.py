"""The subscribed Redis connection, read by a small RESP2 parser in ``data_received``.

redis-py's ``PubSub.get_message`` costs a retry wrapper, a timeout context and an observability hook per message:
in a two-process profile its reader was a third of the event loop's busy time. Subscribed, a connection only ever
receives arrays of bulk strings and integers (pushes and confirmations), so parsing them here is short, and each
reply is handed on synchronously, in the order Redis sent it.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Union, cast
from urllib.parse import unquote, urlparse

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
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        pos = 0
        try:
            while pos < len(buffer):
                reply, end = _parse(buffer, pos)
                if end < 0:
                    break
                pos = end
                self._on_reply(reply)
        except (ProtocolError, ValueError, IndexError):
            self.close()
            return
        self._buffer = buffer[pos:]

    def send(self, *args: str) -> None:
        """Write one command (``SUBSCRIBE a b``); its replies arrive through ``on_reply``."""
        if self._transport is None or self._transport.is_closing():
            raise ConnectionError("redis subscriber connection is closed")
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            encoded = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(encoded), encoded))
        self._transport.write(b"".join(parts))

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


def _parse(buffer: bytes, pos: int) -> tuple[Reply, int]:
    """The reply starting at ``pos`` and the position after it, or (None, -1) when it is not complete yet."""
    line_end = buffer.find(b"\r\n", pos)
    if line_end < 0:
        return None, -1
    kind = buffer[pos]
    if kind == 0x24:  # $ bulk string
        length = int(buffer[pos + 1 : line_end])
        start = line_end + 2
        if length < 0:
            return None, start
        end = start + length
        if end + 2 > len(buffer):
            return None, -1
        return buffer[start:end], end + 2
    if kind == 0x2A:  # * array
        count = int(buffer[pos + 1 : line_end])
        pos = line_end + 2
        items: list[Reply] = []
        for _ in range(count):
            item, pos = _parse(buffer, pos)
            if pos < 0:
                return None, -1
            items.append(item)
        return items, pos
    if kind == 0x3A:  # : integer
        return int(buffer[pos + 1 : line_end]), line_end + 2
    if kind == 0x2B:  # + simple string (AUTH's OK)
        return buffer[pos + 1 : line_end], line_end + 2
    if kind == 0x2D:  # - error
        return ReplyError(buffer[pos + 1 : line_end].decode(errors="replace")), line_end + 2
    raise ProtocolError(f"unexpected reply type {chr(kind)!r}")
