"""The benchmark's target checks: a figure from a step that delivered nothing must not read as a target met."""

from __future__ import annotations

from typing import Any

from bench.report import targets


def _status(results: dict[str, Any], name: str) -> str:
    return next(str(c["status"]) for c in targets(results) if c["target"] == name)


def _at_3000(delivered: float, p50: float, p99: float) -> dict[str, Any]:
    step = {"delivered_per_s": delivered, "p50_ms": p50, "p99_ms": p99, "server_cpu": 0.5, "lost": 0}
    return {"scenarios": {"sqlite_2000_at_3000": {"steps": [step]}}}


def test_latency_of_a_step_that_delivered_nothing_is_missed_not_met() -> None:
    results = _at_3000(0.0, 0.0, 0.0)
    assert _status(results, "p50 at 3,000/s, 2,000 students") == "MISSED"
    assert _status(results, "p99 at 3,000/s, 2,000 students") == "MISSED"


def test_latency_of_a_delivering_step_is_judged_against_its_target() -> None:
    assert _status(_at_3000(3000.0, 2.0, 10.0), "p50 at 3,000/s, 2,000 students") == "met"
    assert _status(_at_3000(3000.0, 2.0, 40.0), "p99 at 3,000/s, 2,000 students") == "MISSED"


def test_latency_without_the_scenario_is_not_measured() -> None:
    assert _status({"scenarios": {}}, "p50 at 3,000/s, 2,000 students") == "not measured"


def test_database_and_broker_cpu_per_message_comes_from_the_knee_step() -> None:
    from bench.report import services_cost

    assert services_cost({"delivered_per_s": 1000.0, "services_cpu": 0.19, "server_cpu": 0.8}) == 190.0
    assert services_cost({"delivered_per_s": 1000.0, "server_cpu": 0.8}) is None  # older results: not measured
    assert services_cost({"delivered_per_s": 0.0, "services_cpu": 0.1}) is None
