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
    return sum(_stat_seconds(f"/proc/{pid}/stat") for pid in pids)


def thread_cpu_seconds(pid: int, tid: int) -> float:
    """User + system CPU seconds used so far by thread ``tid`` of ``pid``."""
    return _stat_seconds(f"/proc/{pid}/task/{tid}/stat")


def _stat_seconds(path: str) -> float:
    """User + system CPU seconds from a /proc stat file (a process's or one thread's); 0 when it is gone."""
    try:
        with open(path) as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


SERVICE_NAMES = ("postgres", "redis-server")


def service_pids(names: Sequence[str] = SERVICE_NAMES) -> list[int]:
    """Processes of the database and broker on this machine (PostgreSQL backends come and go: read per step)."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as fh:
                name = fh.read().strip()
        except OSError:
            continue
        if name in names:
            found.append(int(entry))
    return found


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


@dataclass
class ThreadCpu:
    """The CPU share of one thread (``tid`` of process ``pid``; the main thread's is the pid), e.g. an event loop."""

    pid: int
    tid: int
    _cpu: float = 0.0
    _wall: float = 0.0

    def _seconds(self) -> float:
        return _stat_seconds(f"/proc/{self.pid}/task/{self.tid}/stat")

    def start(self) -> None:
        self._cpu, self._wall = self._seconds(), time.monotonic()

    def stop(self) -> float:
        wall = time.monotonic() - self._wall
        return (self._seconds() - self._cpu) / wall if wall > 0 else 0.0
