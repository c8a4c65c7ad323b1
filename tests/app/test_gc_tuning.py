"""BRIDGEWAY_GC_TUNING: a server process freezes its start-up heap and collects less often; off leaves Python's GC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.gc_tuning import THRESHOLDS

# A fresh interpreter per case: the tuning is process-wide and happens once, so it cannot be checked in this one.
_PROBE = """
import gc, json, sys
from pathlib import Path
from starlette.testclient import TestClient
from app.main import create_app
from tests.conftest import make_settings
before = gc.get_threshold()
settings = make_settings(Path(sys.argv[1]), gc_tuning=sys.argv[2] == "on")
with TestClient(create_app(settings)) as client:
    assert client.get("/healthz").status_code == 200
    print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


@pytest.mark.parametrize("mode", ["on", "off"])
def test_gc_tuning_applies_at_start_up_only_when_on(tmp_path: Path, mode: str) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")} | {"PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path), mode],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    if mode == "on":
        assert tuple(seen["after"]) == THRESHOLDS
        assert seen["frozen"] > 10_000  # the start-up heap (modules, metadata) is out of the collector's walks
    else:
        assert seen["after"] == seen["before"]
        assert seen["frozen"] == 0
