"""Choosing the translation backend by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from translation.disabled import DisabledTranslator
from translation.factory import create_translator

ROOT = Path(__file__).resolve().parents[2]


def test_create_translator_off_is_disabled(tmp_path: Path) -> None:
    assert isinstance(create_translator("off", tmp_path), DisabledTranslator)


def test_create_translator_unknown_backend_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown translation backend 'deepl'"):
        create_translator("deepl", tmp_path)


@pytest.mark.translation
def test_create_translator_argos_uses_installed_packages(packages_dir: Path) -> None:
    translator = create_translator("argos", packages_dir)
    assert translator.translate_batch(["Hello world"], "en", "es") == ["Hola mundo"]


def test_create_translator_argos_without_argostranslate_degrades_to_disabled(tmp_path: Path) -> None:
    # A None entry in sys.modules makes `import argostranslate` raise ImportError, as if it were not installed.
    code = (
        "import json, logging, sys\n"
        "sys.modules['argostranslate'] = None\n"
        "records = []\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "logging.getLogger().addHandler(type('H', (logging.Handler,), {'emit': lambda s, r: records.append(r)})())\n"
        "from pathlib import Path\n"
        "from translation.factory import create_translator\n"
        f"translator = create_translator('argos', Path({str(tmp_path)!r}))\n"
        "print(json.dumps({'type': type(translator).__name__, 'warnings': [r.getMessage() for r in records]}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["type"] == "DisabledTranslator"
    assert any("argostranslate is not importable" in message for message in result["warnings"])
