"""Importing and configuring argostranslate: lazily, offline, without side effects on HOME or the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_importing_translation_modules_loads_no_heavy_dependency() -> None:
    result = _run(
        "import json, sys\n"
        "import translation.argos, translation.cache, translation.detect, translation.factory\n"
        "import translation.packages, translation.service, translation.tinymodel\n"
        "heavy = ['argostranslate', 'ctranslate2', 'sentencepiece', 'py3langid', 'numpy', 'stanza']\n"
        "print(json.dumps({'loaded': [name for name in heavy if name in sys.modules]}))\n"
    )
    assert result == {"loaded": []}


@pytest.mark.translation
def test_load_argos_leaves_home_and_environment_untouched(tmp_path: Path) -> None:
    # Argos itself sets KMP_DUPLICATE_LIB_OK (an Intel OpenMP workaround); everything else must be restored.
    home = tmp_path / "home"
    home.mkdir()
    result = _run(
        "import json, os\n"
        "def env(): return {k: v for k, v in os.environ.items() if k != 'KMP_DUPLICATE_LIB_OK'}\n"
        "before = env()\n"
        "from translation.argos_setup import load_argos\n"
        "translate = load_argos()\n"
        "from argostranslate import settings\n"
        "print(json.dumps({'env_same': env() == before, 'chunk': settings.chunk_type.name,\n"
        "                  'device': settings.device, 'data_dir': str(settings.data_dir)}))\n",
        env={"HOME": str(home), "ARGOS_CHUNK_TYPE": "SPACY", "XDG_DATA_HOME": str(home / "xdg")},
    )
    assert result["env_same"] is True
    assert result["chunk"] == "STANZA"  # the user's SPACY (which downloads at import) was overridden
    assert result["device"] == "cpu"
    assert not str(result["data_dir"]).startswith(str(home))
    assert list(home.iterdir()) == []
