"""An installed Bridgeway has every word list: pyproject's package-data globs cover each file under wordlists/."""

from __future__ import annotations

import tomllib
from pathlib import Path

import rooms.moderation

PACKAGE_DIR = Path(rooms.moderation.__file__).parent
PYPROJECT = PACKAGE_DIR.parents[1] / "pyproject.toml"


def test_moderation_word_lists_are_package_data() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["rooms.moderation"]
    shipped = {path for pattern in patterns for path in PACKAGE_DIR.glob(pattern)}
    data = {path for path in (PACKAGE_DIR / "wordlists").rglob("*") if path.is_file()}
    assert len(data) >= 9
    assert data - shipped == set()
