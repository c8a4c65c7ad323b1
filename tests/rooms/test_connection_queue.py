"""A connection's send queue (made only when a frame has to wait): its bound, its order, its close, its waits."""

from __future__ import annotations

import asyncio

from rooms.connection import Connection
from rooms.protocol import CLOSE_SLOW_CONSUMER


class GatedSocket:
    """A socket whose writes wait until the gate opens (a client that reads slowly)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.written: list[str] = []

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.written.append(text)


async def test_frames_behind_a_waiting_write_keep_their_order() -> None:
    socket = GatedSocket()
    conn = Connection(socket.send_text, queue_size=4)
    pump = asyncio.create_task(conn.pump())
    for i in range(4):  # the first waits in its write (the rest of it queued), three more fill the queue
        assert conn.send(f"f{i}")
    await asyncio.sleep(0)
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert socket.written == [f"f{i}" for i in range(4)]
    conn.close(1000, "")
    await asyncio.wait_for(pump, 1)
    assert conn.close_code == 1000


async def test_a_full_queue_closes_the_slow_consumer_and_still_stops_the_pump() -> None:
    socket = GatedSocket()
    conn = Connection(socket.send_text, queue_size=3)
    pump = asyncio.create_task(conn.pump())
    assert all(conn.send(f"f{i}") for i in range(3))
    assert not conn.send("one too many")
    assert conn.closed.is_set()
    assert (conn.close_code, conn.close_reason) == (CLOSE_SLOW_CONSUMER, "slow_consumer")
    assert not conn.send("after the close")
    socket.gate.set()
    await asyncio.wait_for(pump, 1)  # woken by the close although the queue was full
    assert "one too many" not in socket.written
    assert "after the close" not in socket.written


async def test_wait_writable_returns_when_the_pump_makes_room_or_the_socket_closes() -> None:
    socket = GatedSocket()
    conn = Connection(socket.send_text, queue_size=4)
    await asyncio.wait_for(conn.wait_writable(4), 1)  # nothing queued: at once
    pump = asyncio.create_task(conn.pump())
    for i in range(4):
        conn.send(f"f{i}")
    waiter = asyncio.create_task(conn.wait_writable(4))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    socket.gate.set()
    await asyncio.wait_for(waiter, 1)
    for i in range(4, 9):
        conn.send(f"f{i}")
    socket.gate.clear()
    conn.send("f9")
    second = asyncio.create_task(conn.wait_writable(4))
    await asyncio.sleep(0.01)
    conn.close(1000, "")
    await asyncio.wait_for(second, 1)
    socket.gate.set()
    await asyncio.wait_for(pump, 1)
