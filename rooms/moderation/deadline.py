"""Stop a CPU-bound call for real when it overruns, instead of judging it after it returns.

Inline moderation hooks run on the event loop; a pathological regex there would freeze every room until it
finished. CPython's regex engine and bytecode loop both check for signals, so a CPU-time interval timer
(ITIMER_VIRTUAL: SIGALRM stays free for pytest-timeout and others) interrupts the call with `DeadlineExceeded`.
Signals are only delivered to the main thread, so elsewhere (a TestClient's portal thread) the call runs to the
end and the caller judges the elapsed time afterwards.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

T = TypeVar("T")

_armed = False


class DeadlineExceeded(Exception):
    """The call used more than its CPU-time budget and was interrupted (or finished too late)."""


def _on_timer(signum: int, frame: FrameType | None) -> None:
    if _armed:
        raise DeadlineExceeded


_installed = False


def _can_interrupt() -> bool:
    global _installed
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return False
    if not _installed:
        # Installed once: signal.getsignal() on every call cost ~5 µs (it converts the handler through an enum
        # lookup that raises), 40 µs a message over eight hooks. Nothing else in the process uses SIGVTALRM.
        signal.signal(signal.SIGVTALRM, _on_timer)
        _installed = True
    return True


def call_with_deadline(seconds: float, function: Callable[..., T], /, **kwargs: object) -> T:
    """Run `function(**kwargs)`; raise DeadlineExceeded if it takes more than `seconds`.

    On the main thread the call is interrupted once it has used `seconds` of CPU time; anywhere it is also
    refused afterwards when its wall time was over the budget.
    """
    global _armed
    started = time.perf_counter()
    if not _can_interrupt():
        result = function(**kwargs)
    else:
        _armed = True
        signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
        try:
            result = function(**kwargs)
        finally:
            _armed = False
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    if time.perf_counter() - started > seconds:
        raise DeadlineExceeded
    return result


class CpuBudget:
    """Several calls in a row, each with its own CPU-time budget, for the price of one timer set-up.

    `call_with_deadline` checks the thread and arms and disarms the timer around every call; a moderation pass
    makes eight calls a message, where that was a fifth of the cost. Here each call only re-arms the timer, and
    `close` disarms it once. Between calls the timer may still run, but `_on_timer` ignores it (`_armed` is off).
    """

    def __init__(self) -> None:
        self._interruptible = _can_interrupt()

    def call(self, seconds: float, function: Callable[..., T], /, **kwargs: object) -> T:
        """Like `call_with_deadline`: interrupted after `seconds` of CPU time, refused after `seconds` of wall."""
        global _armed
        started = time.perf_counter()
        if self._interruptible:
            _armed = True
            signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
            try:
                result = function(**kwargs)
            finally:
                _armed = False
        else:
            result = function(**kwargs)
        if time.perf_counter() - started > seconds:
            raise DeadlineExceeded
        return result

    def close(self) -> None:
        """Disarm the timer (call once after the last `call`)."""
        if self._interruptible:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
