"""Background tasks of the room services, kept referenced until done and cancelled together at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from rooms import eager

log = logging.getLogger(__name__)
Job = Callable[[], Coroutine[Any, Any, None]]


class Tasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[object, asyncio.TimerHandle] = {}

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def start(self, coro: Coroutine[Any, Any, None]) -> None:
        """``spawn``, but run ``coro`` at once until it first waits (``rooms.eager``); only the rest is a task."""
        try:
            rest = eager.start(coro)
        except Exception:
            log.exception("background task failed")
            return
        if rest is not None:
            self.spawn(_finish(rest))

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def later(self, key: object, delay: float, coro: Job) -> None:
        """Run ``coro()`` after ``delay`` unless ``cancel(key)`` comes first (one timer per key)."""
        self.cancel(key)
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(delay, self._fire, key, coro)

    def _fire(self, key: object, coro: Job) -> None:
        self._timers.pop(key, None)
        self.spawn(coro())

    def cancel(self, key: object) -> bool:
        handle = self._timers.pop(key, None)
        if handle is None:
            return False
        handle.cancel()
        return True

    def pending(self, key: object) -> bool:
        return key in self._timers

    async def aclose(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()


async def _finish(rest: eager.Rest) -> None:
    await rest
