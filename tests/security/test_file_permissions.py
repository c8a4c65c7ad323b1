"""Files under DATA_DIR are private to the server's user (finding 6): 0700 directories, 0600 files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def shared_umask() -> Iterator[None]:
    """The usual default: without care, new files would be world-readable (0644)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("shared_umask")
def test_database_wal_and_secret_key_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, broker_url="memory://", translation_backend="off")
    with TestClient(create_app(settings)) as client:
        client.post("/api/join", json={"code": "NOPE", "name": "Sam"})  # a write, so the WAL exists
        found = {p.name: _mode(p) for p in data_dir.iterdir()}
    assert _mode(data_dir) == 0o700
    assert found["secret_key"] == 0o600
    assert {"bridgeway.db", "bridgeway.db-wal", "bridgeway.db-shm"} <= set(found)
    assert {name: found[name] for name in found if name.startswith("bridgeway.db")} == {
        "bridgeway.db": 0o600,
        "bridgeway.db-wal": 0o600,
        "bridgeway.db-shm": 0o600,
    }


@pytest.mark.usefixtures("shared_umask")
def test_an_existing_world_readable_database_is_tightened(tmp_path: Path, migrated_template: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "bridgeway.db"
    database.write_bytes(migrated_template.read_bytes())
    database.chmod(0o644)
    settings = Settings(data_dir=data_dir, secret_key="k" * 40, broker_url="memory://", translation_backend="off")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    assert _mode(database) == 0o600
