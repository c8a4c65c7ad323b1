"""Where a message's server CPU goes at light load, per thread: ``python -m bench.light_load [--rate 300]``.

Serves Bridgeway (SQLite, one uvicorn worker on core 0) to 1,000 students on core 1, waits until messages flow
at a steady ``--rate``, then reads each server thread's CPU time and context switches from /proc over
``--seconds`` and prints them per delivered message, with the load average (the machine may be shared: compare
runs made close together). Thread names come from ``py-spy dump`` when py-spy is installed; ``--py-spy FILE``
also records a raw py-spy profile of the window, ``--strace FILE`` counts its system calls (both slow the
server down: read their shares and counts, not the CPU figures of such a run).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import servers
from bench.procstat import load_average

Sample = dict[int, tuple[float, int, int]]  # tid: CPU seconds, voluntary and involuntary context switches
_TICKS = os.sysconf("SC_CLK_TCK")


def sample(pid: int) -> Sample:
    found: Sample = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rpartition(")")[2].split()
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        except OSError:
            continue  # the thread ended
        switches = [
            int(re.search(rf"^{kind}_ctxt_switches:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
            for kind in ("voluntary", "nonvoluntary")
        ]
        found[int(tid)] = ((int(stat[11]) + int(stat[12])) / _TICKS, switches[0], switches[1])
    return found


def thread_names(pid: int) -> dict[int, str]:
    """Python thread names by native id (py-spy's dump); the event loop is the main thread."""
    names = {pid: "event loop"}
    if shutil.which("py-spy") is None:
        return names
    dump = subprocess.run(["py-spy", "dump", "-p", str(pid)], capture_output=True, text=True, timeout=30).stdout
    for match in re.finditer(r'^Thread (\d+) \(\w+\)(?:: "([^"]*)")?', dump, re.M):
        names.setdefault(int(match.group(1)), match.group(2) or "?")
    return names


def wait_for_messages(data_dir: Path, timeout: float = 120) -> None:
    """Return once the first message is stored (the students are paired and sending)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            with sqlite3.connect(f"file:{data_dir / 'bridgeway.db'}?mode=ro", uri=True) as conn:
                if conn.execute("SELECT 1 FROM message LIMIT 1").fetchone():
                    return
        except sqlite3.Error:
            continue
    raise RuntimeError("no message was stored")


def probe(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes] | None:
    if args.py_spy:
        command = ["py-spy", "record", "--native", "-r", "200", "-d", str(int(args.seconds)), "-f", "raw", "--threads"]
        return subprocess.Popen([*command, "-p", str(pid), "-o", args.py_spy], stdout=subprocess.DEVNULL)
    if args.strace:
        return subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", args.strace], stderr=subprocess.DEVNULL)
    return None


def report(before: Sample, after: Sample, names: dict[int, str], messages: float) -> list[str]:
    groups: dict[str, list[float]] = {}
    for tid, (cpu, vol, invol) in after.items():
        cpu0, vol0, invol0 = before.get(tid, (0.0, 0, 0))
        group = groups.setdefault(names.get(tid, "other"), [0.0, 0.0, 0.0, 0.0])
        group[0] += 1
        group[1] += cpu - cpu0
        group[2] += vol - vol0
        group[3] += invol - invol0
    total = sum(g[1] for g in groups.values())
    lines = [f"total {total / messages * 1e6:.0f} µs CPU per message"]
    for name, (count, used, waits, preempted) in sorted(groups.items(), key=lambda item: -item[1][1]):
        lines.append(
            f"  {name:22s} x{count:<2.0f} {used / messages * 1e6:6.0f} µs/msg"
            f"  switches/msg: voluntary {waits / messages:5.2f}, involuntary {preempted / messages:5.2f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=300.0, help="messages/s in total")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0, help="the measured window")
    parser.add_argument("--py-spy", help="also record a raw py-spy profile of the window to this file")
    parser.add_argument("--strace", help="also count the window's system calls (strace -c -f) into this file")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="bw-light-"))
    env = servers.bridgeway_env(data_dir)
    servers.prepare_bridgeway(env)
    port = servers.free_port()
    command = servers.uvicorn_command("app.main:create_app", port, factory=True, deflate=False)
    server = servers.start(command, env, port, 0, data_dir / "server.log")
    generator_args = ["--students", str(args.students), "--rates", str(args.rate), "--duration", str(args.seconds + 10)]
    generator = subprocess.Popen(
        [*servers.pinned(1), sys.executable, "-m", "bench.loadgen", "--ports", str(port), *generator_args],
        cwd=servers.ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_messages(data_dir)
        time.sleep(4)  # past the first seconds of the step
        names = thread_names(server.pid)
        load = load_average()
        before, started = sample(server.pid), time.monotonic()
        running = probe(args, server.pid)
        time.sleep(args.seconds)
        if running is not None and args.strace:
            running.send_signal(2)
        after, wall = sample(server.pid), time.monotonic() - started
        if running is not None:
            running.wait(30)
        print(f"{args.rate:.0f} msgs/s, {args.students} students, {wall:.1f} s, load {load:.1f}-{load_average():.1f}")
        print("\n".join(report(before, after, names, args.rate * wall)))
        generator.wait(120)
    finally:
        if generator.poll() is None:
            generator.kill()
        servers.stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
