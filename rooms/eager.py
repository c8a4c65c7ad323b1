"""Run a coroutine at once on the caller's stack; only a part that has to wait goes on in a task.

Most of the hot path's coroutines never wait: writing a frame to a socket whose transport takes it, fanning a
message out through the in-process broker. Each in a task of its own costs a task object, a trip through the event
loop and (for a frame) a send queue hand-over; run eagerly they cost a function call. Python 3.12's
``eager_task_factory`` does the same for every task; this is the 3.11 version for the few calls that want it.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any


def start(coro: Coroutine[Any, Any, Any]) -> Rest | None:
    """Run ``coro`` until it finishes (None; its result is dropped, an exception propagates) or first has to wait:
    then the ``Rest`` of it, which a task must await (in order with whatever should follow it)."""
    try:
        waiting = coro.send(None)
    except StopIteration:
        return None
    return Rest(coro, waiting)


class Rest:
    """The rest of a coroutine that ``start`` ran up to its first wait; awaited once, in a task.

    It hands the task what the coroutine waits on (an asyncio future, or None for a bare ``sleep(0)``) and resumes
    the coroutine when the task is woken, exactly as if the task had run the coroutine from the start. Never
    awaited (its socket closed first), the coroutine is closed when it is collected.
    """

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
        self._coro, self._waiting = coro, waiting

    def __await__(self) -> Generator[Any, None, None]:
        coro, waiting = self._coro, self._waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:  # the awaiting task was cancelled: the coroutine sees it where it waits
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
