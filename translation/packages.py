"""List and install Argos packages in a packages directory (used by `bridgeway translation list|install`)."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from translation.argos_setup import argos_packages_dir


class InvalidPackage(ValueError):
    """The file is not an installable Argos translation package."""


@dataclass(frozen=True)
class PackageInfo:
    """One installed translation package."""

    from_code: str
    to_code: str
    version: str
    name: str


def list_installed(packages_dir: Path) -> list[PackageInfo]:
    """The translation packages in `packages_dir`, sorted by language pair. Reads metadata only (no argos)."""
    if not packages_dir.is_dir():
        return []
    found = []
    for pkg_dir in packages_dir.iterdir():
        metadata_file = pkg_dir / "metadata.json"
        if pkg_dir.is_dir() and metadata_file.is_file():
            info = _info(json.loads(metadata_file.read_text(encoding="utf-8")), pkg_dir.name)
            if info is not None:
                found.append(info)
    return sorted(found, key=lambda info: (info.from_code, info.to_code, info.name))


def version_key(version: str) -> tuple[tuple[int, ...], str]:
    """Order package versions numerically, part by part: ``1.10`` is newer than ``1.9``, ``1.1`` than ``1.0-tiny``.

    Argos writes ``package_version`` as free text ("1.0", "1.9", "0.1-tiny"); comparing the numbers in it, then
    the text, gives one answer for any two versions without trusting a format.
    """
    return tuple(int(part) for part in re.findall(r"\d+", version)), version


def chosen_packages(packages: Iterable[PackageInfo]) -> dict[tuple[str, str], PackageInfo]:
    """The package that serves each language pair when several are installed: the newest version wins.

    Equal versions fall back to the folder name, the last in sort order: the same packages always give the same
    choice, whatever order the file system lists them in. ``bridgeway translation list`` shows the choice.
    """
    chosen: dict[tuple[str, str], PackageInfo] = {}
    for info in packages:
        pair = (info.from_code, info.to_code)
        current = chosen.get(pair)
        if current is None or (version_key(info.version), info.name) > (version_key(current.version), current.name):
            chosen[pair] = info
    return chosen


def install_package(file: Path, packages_dir: Path) -> PackageInfo:
    """Validate the `.argosmodel` zip, then install it with argos's own `package.install_from_path`.

    Argos only unzips; the checks here (one top-level folder with translate metadata and a model) keep a bad
    file from leaving a directory that would break package loading. Running translators keep their packages:
    restart the app (or build a new translator) to pick the new one up.
    """
    if not zipfile.is_zipfile(file):
        raise InvalidPackage(f"{file} is not a zip archive")
    with zipfile.ZipFile(file) as archive:
        names = archive.namelist()
        tops = {PurePosixPath(name).parts[0] for name in names if PurePosixPath(name).parts}
        if len(tops) != 1:
            raise InvalidPackage(f"{file} must hold exactly one top-level folder, found {sorted(tops)}")
        top = tops.pop()
        if f"{top}/metadata.json" not in names or not any(n.startswith(f"{top}/model/") for n in names):
            raise InvalidPackage(f"{file} has no {top}/metadata.json or {top}/model/")
        try:
            metadata = json.loads(archive.read(f"{top}/metadata.json"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidPackage(f"{file}: unreadable metadata.json: {exc}") from exc
    info = _info(metadata, top)
    if info is None:
        raise InvalidPackage(f"{file} is not a translation package (needs type translate, from_code, to_code)")
    packages_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # under DATA_DIR: private like the rest
    with argos_packages_dir(packages_dir) as package:
        package.install_from_path(file)
    return info


def _info(metadata: object, name: str) -> PackageInfo | None:
    if not isinstance(metadata, dict) or metadata.get("type", "translate") != "translate":
        return None
    from_code, to_code = metadata.get("from_code"), metadata.get("to_code")
    if not isinstance(from_code, str) or not isinstance(to_code, str):
        return None
    return PackageInfo(from_code, to_code, str(metadata.get("package_version", "")), name)
