"""CPU time and resident memory of server processes, read from /proc (Linux; no psutil needed)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (0 for a process that is gone)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICKS


def rss_bytes(pids: Sequence[int]) -> int:
    """Resident set size of ``pids`` together, in bytes."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except OSError:
            continue
    return total


@dataclass
class CpuMeter:
    """Measures the CPU share (1.0 = one full core) of some processes between ``start`` and ``stop``."""

    pids: Sequence[int]
    _cpu: float = 0.0
    _wall: float = 0.0

    def start(self) -> None:
        self._cpu, self._wall = cpu_seconds(self.pids), time.monotonic()

    def stop(self) -> float:
        wall = time.monotonic() - self._wall
        return (cpu_seconds(self.pids) - self._cpu) / wall if wall > 0 else 0.0


def load_average() -> float:
    """The one-minute load average: other work on the machine makes figures noisy."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0
