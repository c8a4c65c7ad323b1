"""Turn benchmark results into the printed table and the target checks (ratios to the bare baseline).

``python -m bench.report [bench/results/latest.json]`` prints the table of an earlier run again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def knee(result: dict[str, Any] | None) -> float:
    """Delivered messages/s at the knee (p99 <= 100 ms, nothing lost), 0 when not measured."""
    if not result or "knee" not in result:
        return 0.0
    return float(result["knee"]["knee_per_s"])


def _steps(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [*result.get("knee", {}).get("steps", []), *result.get("steps", [])]


def _knee_step(result: dict[str, Any]) -> dict[str, Any] | None:
    value = knee(result)
    return next((s for s in _steps(result) if s["delivered_per_s"] == value), None)


def _check(name: str, measured: float | None, limit: float, higher_is_better: bool, unit: str) -> dict[str, Any]:
    if measured is None:
        return {"target": name, "measured": None, "limit": limit, "status": "not measured"}
    ok = measured >= limit if higher_is_better else measured <= limit
    return {
        "target": name,
        "measured": round(measured, 3),
        "limit": limit,
        "unit": unit,
        "status": "met" if ok else "MISSED",
    }


def _latency(step: dict[str, Any] | None, key: str) -> float | None:
    """A step's latency figure; infinite when it delivered nothing (its 0.0 ms would read as a target met)."""
    if not step:
        return None
    return float(step[key]) if step.get("delivered_per_s") else float("inf")


def cost(step: dict[str, Any] | None) -> float | None:
    """Server CPU µs per delivered message in a step (summed over the server processes)."""
    if not step or not step.get("delivered_per_s"):
        return None
    return float(step["server_cpu"]) / float(step["delivered_per_s"]) * 1e6


def services_cost(step: dict[str, Any] | None) -> float | None:
    """PostgreSQL + Redis CPU µs per delivered message in a step (None when the step did not measure them)."""
    if not step or not step.get("delivered_per_s") or "services_cpu" not in step:
        return None
    return float(step["services_cpu"]) / float(step["delivered_per_s"]) * 1e6


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issues' targets (performance rounds 1 and 2) against what was measured in this run."""
    s = results.get("scenarios", {})
    checks = []
    for conns, base_name, name in ((1000, "baseline", "sqlite_1000"), (2000, "baseline_2000", "sqlite_2000")):
        base, one = knee(s.get(base_name)), knee(s.get(name))
        ratio = one / base if base and one else None
        checks.append(_check(f"knee vs bare relay, {conns:,} conns (x)", ratio, 0.5, True, "x"))
    sqlite_cost = cost(_knee_step(s.get("sqlite_1000") or {}))
    checks.append(_check("server CPU per message at the knee", sqlite_cost, 100.0, False, "µs"))
    checks.append(_check("lost (acked, never delivered), all runs", _lost(s), 0, False, "messages"))
    at3k = s.get("sqlite_2000_at_3000") or {}
    step = (at3k.get("steps") or [None])[0]
    checks.append(_check("p50 at 3,000/s, 2,000 students", _latency(step, "p50_ms"), 3.0, False, "ms"))
    checks.append(_check("p99 at 3,000/s, 2,000 students", _latency(step, "p99_ms"), 15.0, False, "ms"))
    idle = at3k.get("rss_idle_per_conn_kb") or (s.get("sqlite_1000") or {}).get("rss_idle_per_conn_kb")
    checks.append(_check("memory per idle connection", idle, 40.0, False, "KB"))
    checks.append(_check("2,000 students join -> paired", at3k.get("join_to_paired_s"), 5.0, False, "s"))
    pairing = results.get("pairing", {}).get("pairing_10k_ms")
    checks.append(_check("pairing 10,000 waiting", max(pairing) / 1000 if pairing else None, 0.2, False, "s"))
    two_cost = cost(_knee_step(s.get("postgres_redis_2proc") or {}))
    scale = two_cost / sqlite_cost if two_cost and sqlite_cost else None
    checks.append(_check("2 processes: CPU/msg vs 1 process SQLite", scale, 1.5, False, "x"))
    return checks


def _lost(scenarios: dict[str, Any]) -> int | None:
    runs = [r for r in scenarios.values() if isinstance(r, dict) and ("knee" in r or "steps" in r)]
    return sum(st["lost"] for r in runs for st in _steps(r)) if runs else None


def _row(name: str, result: dict[str, Any], base: float) -> str:
    if "error" in result and "students" not in result:
        return f"{name:<28} failed: {result['error']}"
    value = knee(result)
    step = _knee_step(result) if value else (result.get("steps") or [None])[-1]
    ratio = f"{value / base:5.2f}x" if value and base else "    - "
    rate = f"{value:8.0f}" if value else f"{(step or {}).get('target_rate', 0):7.0f}*"
    p50 = f"{step['p50_ms']:7.2f}" if step else "      -"
    p99 = f"{step['p99_ms']:7.2f}" if step else "      -"
    cpu = f"{step['server_cpu']:4.2f}" if step else "   -"
    # Server CPU per delivered message: robust to other load on the machine, unlike the knee itself.
    at_knee, light = cost(step), cost(result.get("light"))
    cost_text = f"{at_knee:6.0f}" if at_knee else "     -"
    light_text = f"{light:6.0f}" if light else "     -"
    lost = sum(s["lost"] for s in _steps(result))
    idle = result.get("rss_idle_per_conn_kb", 0.0)
    return (
        f"{name:<28}{result.get('students', 0):>6} {rate} {ratio} {p50} {p99} {cpu} {cost_text} {light_text} {lost:>5} "
        f"{idle:7.1f} {result.get('join_to_paired_s', 0):7.2f}"
    )


def print_report(results: dict[str, Any]) -> None:
    s = results.get("scenarios", {})
    base = knee(s.get("baseline"))
    m = results.get("machine", {})
    print(f"\n{m.get('cpu', '?')}, {m.get('cores')} cores, Python {m.get('python')}, load {m.get('load_average_1m')}")
    print(
        f"{'scenario':<28}{'conns':>6} {'msgs/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'cpu':>4} "
        f"{'µs/msg':>6} {'light':>6} {'lost':>5} {'KB/idle':>7} {'join->p':>7}"
    )
    # Each scenario against the bare relay at the same number of connections (when that was measured).
    bases = {(s.get(n) or {}).get("students"): knee(s.get(n)) for n in ("baseline", "baseline_2000")}
    for name, result in s.items():
        print(_row(name, result, bases.get(result.get("students")) or base))
    print("msgs/s = delivered messages/s at the knee (p99 <= 100 ms); * = a fixed-rate step, not a knee search;")
    print("cpu = server cores busy at that step; µs/msg = server CPU time per delivered message at that step;")
    print("light = the same at a light 300 msgs/s; ratio = knee / the bare relay's knee (one frame per message)")
    for name, result in s.items():
        figure = services_cost(_knee_step(result))
        if name.startswith("postgres") and figure is not None:
            print(f"{name}: PostgreSQL + Redis CPU per delivered message at the knee: {figure:.0f} µs")
    print("\ntargets:")
    for check in results.get("targets", []):
        measured = "-" if check["measured"] is None else f"{check['measured']} {check.get('unit', '')}"
        print(f"  {check['status']:<13} {check['target']:<40} {measured:>14}   (target {check['limit']})")


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json")
    print_report(json.loads(path.read_text()))
