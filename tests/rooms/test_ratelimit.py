"""The per-participant sliding window behind BRIDGEWAY_MESSAGE_RATE."""

from __future__ import annotations

from rooms.ratelimit import SlidingWindow


def test_sliding_window_allows_the_rate_then_refuses_until_the_window_moves() -> None:
    window = SlidingWindow("3/10 seconds")
    assert [window.hit(1, now=t) for t in (0.0, 1.0, 2.0, 3.0)] == [True, True, True, False]
    assert window.hit(2, now=3.0)  # other participants have their own window
    assert not window.hit(1, now=9.9)
    assert window.hit(1, now=10.5)  # the hit at 0.0 left the window


def test_sliding_window_refused_hits_do_not_count() -> None:
    window = SlidingWindow("1/second")
    assert window.hit(1, now=0.0)
    assert not window.hit(1, now=0.5)
    assert window.hit(1, now=1.01)


def test_sliding_window_forget_drops_state() -> None:
    window = SlidingWindow("1/minute")
    assert window.hit(7, now=0.0)
    window.forget(7)
    assert window.hit(7, now=1.0)
