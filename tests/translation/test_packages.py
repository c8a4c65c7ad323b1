"""Listing and installing Argos packages in a packages directory."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from translation.packages import InvalidPackage, PackageInfo, install_package, list_installed


@pytest.mark.translation
def test_install_package_then_list_installed(tmp_path: Path, tiny_package_files: dict[tuple[str, str], Path]) -> None:
    installed = [install_package(file, tmp_path / "packages") for file in tiny_package_files.values()]
    expected = [
        PackageInfo("en", "es", "0.1-tiny", "translate-en_es-tiny"),
        PackageInfo("es", "en", "0.1-tiny", "translate-es_en-tiny"),
        PackageInfo("fr", "en", "0.1-tiny", "translate-fr_en-tiny"),
    ]
    assert installed == expected
    assert list_installed(tmp_path / "packages") == expected
    assert (tmp_path / "packages" / "translate-en_es-tiny" / "model" / "model.bin").is_file()


def test_list_installed_missing_dir_is_empty(tmp_path: Path) -> None:
    assert list_installed(tmp_path / "nowhere") == []


def test_list_installed_ignores_non_translation_folders(tmp_path: Path) -> None:
    (tmp_path / "stray").mkdir()
    (tmp_path / "sbd").mkdir()
    (tmp_path / "sbd" / "metadata.json").write_text(json.dumps({"type": "sbd", "from_code": "en"}))
    assert list_installed(tmp_path) == []


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


_META = json.dumps({"type": "translate", "from_code": "en", "to_code": "es", "package_version": "1"})


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "not a zip"),
        ({"a/metadata.json": _META, "b/model/model.bin": "x"}, "exactly one top-level"),
        ({"a/model/model.bin": "x"}, "no a/metadata.json"),
        ({"a/metadata.json": _META}, "no a/metadata.json or a/model/"),
        ({"a/metadata.json": "{not json", "a/model/model.bin": "x"}, "unreadable metadata"),
        ({"a/metadata.json": json.dumps({"type": "sbd"}), "a/model/model.bin": "x"}, "not a translation package"),
    ],
    ids=["not-zip", "two-folders", "no-metadata", "no-model", "bad-json", "sbd-package"],
)
def test_install_package_rejects_invalid_files(tmp_path: Path, files: dict[str, str] | None, message: str) -> None:
    file = tmp_path / "bad.argosmodel"
    if files is None:
        file.write_text("plain text")
    else:
        _zip(file, files)
    with pytest.raises(InvalidPackage, match=message):
        install_package(file, tmp_path / "packages")
    assert not (tmp_path / "packages").exists()
