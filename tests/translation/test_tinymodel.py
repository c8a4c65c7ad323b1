"""The tiny copy-and-swap Argos package builder."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from translation.tinymodel import build_tiny_package, install_demo_packages

pytestmark = pytest.mark.translation


def test_build_tiny_package_writes_argos_layout_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    out = build_tiny_package(tmp_path / "de_en.argosmodel", "de", "en", {"hallo": "hello", "welt": "world"})
    elapsed = time.perf_counter() - started
    assert out == tmp_path / "de_en.argosmodel"
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        metadata = json.loads(archive.read("translate-de_en-tiny/metadata.json"))
    assert {
        "translate-de_en-tiny/metadata.json",
        "translate-de_en-tiny/sentencepiece.model",
        "translate-de_en-tiny/model/model.bin",
    } <= names
    assert (metadata["from_code"], metadata["to_code"], metadata["type"]) == ("de", "en", "translate")
    assert (metadata["from_name"], metadata["to_name"]) == ("German", "English")
    assert elapsed < 5  # about 0.2 s here; generous for slow CI


def test_build_tiny_package_translates_exactly_and_fast(tmp_path: Path) -> None:
    from translation.argos import ArgosTranslator
    from translation.packages import install_package

    words = {"hallo": "hello", "welt": "world", "schule": "school"}
    install_package(build_tiny_package(tmp_path / "de_en.argosmodel", "de", "en", words), tmp_path / "packages")
    translator = ArgosTranslator(tmp_path / "packages", intra_threads=1)
    assert translator.translate_batch(["Hallo Welt, die Schule!"], "de", "en") == ["Hello World, die School!"]
    started = time.perf_counter()
    for _ in range(20):
        translator.translate_batch(["Hallo Welt, wie geht es dir heute in der Schule?"], "de", "en")
    per_sentence = (time.perf_counter() - started) / 20
    assert per_sentence < 0.05  # about 3 ms here with one intra-op thread


@pytest.mark.parametrize(
    "words",
    [{}, {"two words": "dos"}, {"hello": "hola amigo"}, {"snake_case": "x"}],
    ids=["empty", "space-in-source", "space-in-target", "underscore"],
)
def test_build_tiny_package_rejects_non_single_words(tmp_path: Path, words: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="word"):
        build_tiny_package(tmp_path / "x.argosmodel", "en", "es", words)
    assert not (tmp_path / "x.argosmodel").exists()


def test_install_demo_packages_installs_all_demo_pairs(tmp_path: Path) -> None:
    from translation.argos import ArgosTranslator

    installed = install_demo_packages(tmp_path)
    assert [(info.from_code, info.to_code) for info in installed] == [("en", "es"), ("es", "en"), ("fr", "en")]
    assert ArgosTranslator(tmp_path).translate_batch(["Salut, merci!"], "fr", "es") == ["Hi, gracias!"]
