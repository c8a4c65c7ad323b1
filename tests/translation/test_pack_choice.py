"""Two packs for one language pair: the newest version serves it, the translator and `translation list` agree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from translation.argos import ArgosTranslator
from translation.packages import PackageInfo, chosen_packages, list_installed, version_key
from translation.tinymodel import build_tiny_package


def info(version: str, name: str, pair: tuple[str, str] = ("en", "es")) -> PackageInfo:
    return PackageInfo(pair[0], pair[1], version, name)


@pytest.mark.parametrize(
    ("older", "newer"),
    [("1.0", "1.1"), ("1.9", "1.10"), ("0.1-tiny", "1.0"), ("1.0", "1.0.1"), ("", "0.1")],
    ids=["minor", "numeric-not-text", "tiny-vs-real", "patch", "missing-version"],
)
def test_version_key_orders_versions_numerically(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)


@pytest.mark.parametrize(
    ("installed", "serving"),
    [
        ([info("1.0", "b-old"), info("1.1", "a-new")], "a-new"),
        ([info("1.1", "a-new"), info("1.0", "b-old")], "a-new"),
        ([info("1.0", "a"), info("1.0", "b")], "b"),
        ([info("1.0", "b"), info("1.0", "a")], "b"),
    ],
    ids=["newest-wins", "order-does-not-matter", "tie-last-name", "tie-order-does-not-matter"],
)
def test_chosen_packages_is_deterministic(installed: list[PackageInfo], serving: str) -> None:
    other = info("0.1", "fr-en", ("fr", "en"))
    chosen = chosen_packages([*installed, other])
    assert (chosen[("en", "es")].name, chosen[("fr", "en")]) == (serving, other)


@pytest.fixture(scope="module")
def two_packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An old en->es pack that says "hola" and a newer one that says "saludos", as .argosmodel files."""
    pytest.importorskip("ctranslate2", reason="the translation extra is not installed")
    out = tmp_path_factory.mktemp("two-packs")
    # The newer pack's folder name sorts *before* the older one's, so a "last folder wins" rule would pick the old.
    old = build_tiny_package(out / "old.argosmodel", "en", "es", {"hello": "hola"}, version="1.0", name="z-en-es")
    new = build_tiny_package(out / "new.argosmodel", "en", "es", {"hello": "saludos"}, version="1.1", name="a-en-es")
    return old, new


def _cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    environment["BRIDGEWAY_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=environment, timeout=120
    )


@pytest.mark.translation
@pytest.mark.parametrize("order", ["old-first", "new-first"])
def test_newest_pack_serves_the_pair_and_list_says_so(tmp_path: Path, two_packs: tuple[Path, Path], order: str) -> None:
    old, new = two_packs
    for file in (old, new) if order == "old-first" else (new, old):
        installed = _cli(["translation", "install", str(file)], tmp_path)
        assert installed.returncode == 0, installed.stderr
    packages = tmp_path / "argos-packages"
    assert {p.name for p in list_installed(packages)} == {"a-en-es", "z-en-es"}
    assert ArgosTranslator(packages).translate_batch(["hello friend"], "en", "es") == ["saludos friend"]
    listing = _cli(["translation", "list"], tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = sorted(listing.stdout.splitlines())
    assert lines == [
        "en -> es  version 1.0  (z-en-es)  not used: a-en-es (version 1.1) serves this pair",
        "en -> es  version 1.1  (a-en-es)  serves this pair",
    ]
