"""Every socket's heartbeat on one timer: pings at the interval, closes at the timeout, forgets closed sockets."""

from __future__ import annotations

import asyncio

import pytest

from rooms.connection import Connection
from rooms.heartbeat import Heartbeats
from rooms.protocol import CLOSE_HEARTBEAT, PING

INTERVAL, TIMEOUT = 5.0, 15.0


class Recording:
    def __init__(self) -> None:
        self.written: list[str] = []

    async def send_text(self, text: str) -> None:
        self.written.append(text)


class Exploding(Connection):
    """A socket whose send fails in a way nobody expected."""

    def send(self, text: str) -> bool:
        raise RuntimeError("broken socket")


async def _socket(
    beats: Heartbeats, heard: float, conn_type: type[Connection] = Connection
) -> tuple[Connection, Recording]:
    socket = Recording()
    conn = conn_type(socket.send_text)
    conn.last_heard = heard
    beats.watch(conn)
    return conn, socket


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_silent_socket_is_pinged_once_an_interval_then_closed_and_forgotten() -> None:
    beats = Heartbeats(INTERVAL, TIMEOUT)
    conn, socket = await _socket(beats, heard=100.0)
    pump = asyncio.create_task(conn.pump())
    beats.check(100.0 + INTERVAL - 0.1)
    beats.check(100.0 + INTERVAL)
    beats.check(100.0 + INTERVAL + beats.step)  # still silent, pinged less than an interval ago: no second ping
    await _settle()
    assert socket.written == [PING]
    beats.check(100.0 + 2 * INTERVAL)
    await _settle()
    assert socket.written == [PING, PING]
    beats.check(100.0 + TIMEOUT)
    await asyncio.wait_for(pump, 1)
    assert (conn.close_code, conn.close_reason) == (CLOSE_HEARTBEAT, "heartbeat_timeout")
    assert len(beats) == 0


async def test_a_socket_that_answers_is_never_pinged_twice_nor_closed() -> None:
    beats = Heartbeats(INTERVAL, TIMEOUT)
    conn, socket = await _socket(beats, heard=0.0)
    pump = asyncio.create_task(conn.pump())
    now = 0.0
    while now < 10 * TIMEOUT:
        now += beats.step
        beats.check(now)
        if socket.written:  # it answers each ping at once, as static/js/chat.js does
            socket.written.clear()
            conn.last_heard = now
        await _settle()
    assert not conn.closed.is_set()
    assert len(beats) == 1
    conn.close(1000, "")
    await asyncio.wait_for(pump, 1)


@pytest.mark.parametrize("gone", ["closed", "forgotten"])
async def test_a_socket_that_went_away_gets_nothing_and_is_dropped(gone: str) -> None:
    beats = Heartbeats(INTERVAL, TIMEOUT)
    conn, socket = await _socket(beats, heard=0.0)
    if gone == "closed":
        conn.close(1000, "")
    else:
        beats.forget(conn)
    beats.check(TIMEOUT * 2)
    await _settle()
    assert socket.written == []
    assert conn.close_code in (None, 1000)
    assert len(beats) == 0


async def test_one_failing_socket_does_not_stop_the_others_heartbeats() -> None:
    beats = Heartbeats(INTERVAL, TIMEOUT)
    await _socket(beats, heard=0.0, conn_type=Exploding)
    conn, socket = await _socket(beats, heard=0.0)
    pump = asyncio.create_task(conn.pump())
    beats.check(INTERVAL)
    await _settle()
    assert socket.written == [PING]
    beats.check(TIMEOUT)
    await asyncio.wait_for(pump, 1)
    assert conn.close_code == CLOSE_HEARTBEAT


async def test_a_class_that_fell_silent_together_is_pinged_spread_over_a_step_not_all_at_once() -> None:
    """Sockets watched during one step are checked at their own phase: a tick pings only the slot it checks."""
    beats = Heartbeats(INTERVAL, TIMEOUT)
    sockets = []
    for _ in range(beats.SLOTS):
        conn, socket = await _socket(beats, heard=0.0)
        sockets.append((conn, socket, asyncio.create_task(conn.pump())))
        beats.tick(now=1.0)  # joining over the step: the next socket lands in the next slot
    pinged_per_tick = []
    for _ in range(beats.SLOTS):
        before = sum(len(socket.written) for _, socket, _ in sockets)
        beats.tick(now=INTERVAL + 1.0)
        await _settle()
        pinged_per_tick.append(sum(len(socket.written) for _, socket, _ in sockets) - before)
    assert pinged_per_tick == [1] * beats.SLOTS
    assert all(socket.written == [PING] for _, socket, _ in sockets)
    for conn, _, pump in sockets:
        conn.close(1000, "")
        await asyncio.wait_for(pump, 1)
