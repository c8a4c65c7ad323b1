"""Settings: defaults, dev secret kept across restarts, production refuses to start without one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings, SettingsError, load_settings


def test_defaults_embed_sqlite_and_memory_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEWAY_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'bridgeway.db').resolve()}"
    assert settings.broker_url == "memory://"
    assert settings.packages_dir == tmp_path / "argos-packages"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolve_secret()
    second = Settings(data_dir=tmp_path).resolve_secret()
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_without_secret_refuses(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BRIDGEWAY_SECRET_KEY is required"):
        Settings(data_dir=tmp_path, env="production").resolve_secret()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("BRIDGEWAY_DATABASE_URL", "not a url", "BRIDGEWAY_DATABASE_URL"),
        ("BRIDGEWAY_ROOM_SIZE", "9", "BRIDGEWAY_ROOM_SIZE"),
        ("BRIDGEWAY_ENV", "staging", "BRIDGEWAY_ENV"),
        ("BRIDGEWAY_WS_MAX_SIZE", "lots", "BRIDGEWAY_WS_MAX_SIZE"),
        ("BRIDGEWAY_TRANSLATION_QUEUE_URL", "amqp://rabbit", "not a Redis URL"),
    ],
    ids=["database-url", "room-size", "env", "ws-max-size", "translation-queue-url"],
)
def test_invalid_values_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(BRIDGEWAY_[A-Z_]+)`", readme, re.MULTILINE))
    for first, suffix in re.findall(r"^\| `(BRIDGEWAY_[A-Z_]+)` / `_([A-Z_]+)`", readme, re.MULTILINE):
        rows.add(first.rsplit("_", 1)[0] + "_" + suffix)  # `BRIDGEWAY_X_A` / `_B` documents X_A and X_B
    removed = {"join_rate"}  # refused with a pointer to its replacements (documented in the text)
    fields = [f"BRIDGEWAY_{name.upper()}" for name in Settings.model_fields if name not in removed]
    assert [name for name in fields if name not in rows] == []
