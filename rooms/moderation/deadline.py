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

_armed = False  # a call is running under the timer: the timer going off interrupts it
_expired = False  # the timer went off since it was last set: nothing is timing the next call until it is set again


class DeadlineExceeded(Exception):
    """The call used more than its CPU-time budget and was interrupted (or finished too late)."""


def _on_timer(signum: int, frame: FrameType | None) -> None:
    global _expired
    _expired = True
    if _armed:
        raise DeadlineExceeded


def _set_timer(seconds: float) -> None:
    global _expired
    _expired = False
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)


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
        _set_timer(seconds)
        try:
            result = function(**kwargs)
        finally:
            _armed = False
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    if time.perf_counter() - started > seconds:
        raise DeadlineExceeded
    return result


class CpuBudget:
    """The CPU-time timers of one moderation pass, for the price of one or two timer set-ups.

    Setting the timer is a system call, and a pass makes eight calls a message. `call` gives a call a timer of its
    own. `call_shared` lets consecutive calls share one timer, set by the first of them, so together they get
    `seconds` (the built-in hooks: ours, linear, microseconds each); anything in between (`call`, `end_sharing`)
    ends the stretch, and so does the timer going off: the next shared call sets it afresh. `close` disarms it
    once. Between calls the timer may still run, but `_on_timer` ignores it (`_armed` is off).
    """

    def __init__(self) -> None:
        self._interruptible = _can_interrupt()
        self._sharing = False  # the running timer was set by this pass's current stretch of shared calls
        self._used = False

    def call(self, seconds: float, function: Callable[..., T], /, **kwargs: object) -> T:
        """Like `call_with_deadline`: interrupted after `seconds` of CPU time, refused after `seconds` of wall."""
        global _armed
        self._sharing = False
        started = time.perf_counter()
        if self._interruptible:
            self._used = True
            try:
                _armed = True
                _set_timer(seconds)
                result = function(**kwargs)
            finally:
                _armed = False
        else:
            result = function(**kwargs)
        if time.perf_counter() - started > seconds:
            raise DeadlineExceeded
        return result

    def call_shared(self, seconds: float, function: Callable[..., T], /, **kwargs: object) -> T:
        """Like `call`, but interrupted once this stretch of shared calls used `seconds` of CPU time in all.

        Each call is still refused on its own once its wall time is over `seconds`.
        """
        started = time.perf_counter()
        self.share(seconds)
        try:
            result = function(**kwargs)
        finally:
            self.unshare()
        if time.perf_counter() - started > seconds:
            raise DeadlineExceeded
        return result

    def share(self, seconds: float) -> None:
        """Arm the timer for calls made directly until `unshare`, as `call_shared` would for one call: set it when
        this stretch of shared calls has none running (first call, or after it went off). The caller catches
        `DeadlineExceeded` and judges each call's wall time itself (see `Moderator`)."""
        global _armed
        if self._interruptible:
            if _expired or not self._sharing:
                self._used = True
                _set_timer(seconds)
            _armed = True
        self._sharing = True

    @staticmethod
    def unshare() -> None:
        """Disarm (the timer may run on: `_on_timer` ignores it until the next shared call)."""
        global _armed
        _armed = False

    def end_sharing(self) -> None:
        """The next shared call sets a timer of its own (call before anything else runs: an await, a thread)."""
        self._sharing = False

    def close(self) -> None:
        """Disarm the timer (call once after the last call)."""
        self._sharing = False
        if self._used:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
