"""The load generator end to end with a handful of students against real uvicorn servers (Bridgeway, baseline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import servers
from bench.loadgen import MESSAGE_BYTES, client_id_of, message_text, parse_args, percentile, sent_at_ns
from bench.run import loadgen


def _bridgeway(tmp_path: Path) -> tuple[servers.Server, list[str]]:
    env = servers.bridgeway_env(tmp_path / "data")
    servers.prepare_bridgeway(env)
    port = servers.free_port()
    command = servers.uvicorn_command("app.main:create_app", port, factory=True, deflate=False)
    return servers.start(command, env, port, None, tmp_path / "server.log"), []


def _baseline(tmp_path: Path) -> tuple[servers.Server, list[str]]:
    """The bare relay sends one frame per message and no acks: the generator counts its sends as accepted."""
    env = {**os.environ, "PYTHONPATH": str(servers.ROOT)}
    port = servers.free_port()
    command = servers.uvicorn_command("bench.baseline:app", port, factory=False, deflate=False)
    return servers.start(command, env, port, None, tmp_path / "server.log"), ["--no-acks"]


@pytest.mark.parametrize("start", [_bridgeway, _baseline], ids=["bridgeway", "baseline"])
def test_loadgen_delivers_every_acked_message(tmp_path: Path, start: object) -> None:
    server, extra = start(tmp_path)  # type: ignore[operator]
    args = ["--students", "8", "--light", "20", "--rates", "40", "--duration", "1", *extra]
    try:
        report = loadgen([server.port], [server.pid], args, None)
    finally:
        servers.stop(server)
    assert report["paired"] == 8
    step = report["steps"][0]
    assert step["sent"] >= 35
    assert step["acked"] == step["sent"]
    assert step["ack_states"] == {"visible": step["sent"]}  # the bench text passes the default moderation hooks
    assert step["delivered"] == step["acked"]  # rooms of two: each message reaches exactly one partner
    assert step["lost"] == 0
    assert 0 < step["p50_ms"] <= step["p99_ms"] < 1000
    assert report["rss_idle_per_conn_kb"] != 0
    light = report["light"]  # the light-load step that reports CPU per message far from the knee
    assert light["target_rate"] == 20
    assert light["lost"] == 0
    assert light["delivered"] >= 15


@pytest.mark.parametrize("sent_ns", [0, 1_700_000_000_123_456_000, 98_765_432_000], ids=["zero", "epoch", "uptime"])
def test_message_text_carries_its_send_time_and_client_id(sent_ns: int) -> None:
    text = message_text(sent_ns, "12.345.6789")
    assert len(text.encode()) == MESSAGE_BYTES
    assert not any(ch.isdigit() or ch == "." for ch in text)  # digits would trip the phone filter, dots links
    assert sent_at_ns(text) == sent_ns
    assert client_id_of(text) == "12.345.6789"


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 0.99, 0.0), ([5.0], 0.5, 5.0), ([float(i) for i in range(100)], 0.99, 99.0)],
    ids=["empty", "single", "hundred"],
)
def test_percentile_picks_the_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


@pytest.mark.parametrize(
    "argv",
    [["--students", "7"], ["--students", "40000"], ["--rates", "500000"], ["--duration", "3600"]],
    ids=["odd", "too-many", "too-fast", "too-long"],
)
def test_loadgen_refuses_unbounded_runs(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
