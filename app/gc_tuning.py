"""Garbage-collector settings for a long-running server process (`BRIDGEWAY_GC_TUNING`).

A server's heap is mostly objects that live as long as the process (modules, SQLAlchemy metadata, templates, word
lists), yet every full collection walks all of them, and the default young-generation threshold (700 allocations)
runs a collection every few messages. Measured on a burst of 2,000 joins: 902 collections, 2.1 s of CPU (about
15 % of the burst); with the start-up heap frozen and larger thresholds, 52 collections and 0.6 s.

The middle threshold stays small: every object that outlives a young collection is walked again by each
generation-1 collection until it moves on, so 20 young collections a generation-1 one (200,000 allocations) made
75-99 ms pauses with 2,000 students at 3,000 msgs/s, and a p99 of 79-97 ms; with 4, 11-36 ms pauses (one of 62) and
a p99 of 9-17 ms, no more CPU (`bench.fixed_rate --rates 3000 --processes sqlite --students 2000`, load 1).
"""

from __future__ import annotations

import gc
from typing import Final

THRESHOLDS: Final = (10_000, 4, 20)
_tuned = False


def tune_once() -> bool:
    """Freeze what exists now (the start-up heap) and raise the thresholds; once per process. True if it did."""
    global _tuned
    if _tuned:
        return False
    _tuned = True
    gc.collect()  # garbage made during start-up is freed first, not frozen for the process's lifetime
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return True
