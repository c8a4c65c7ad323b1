"""Shared fixtures for translation tests: tiny Argos models built and installed once, and a network audit."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from translation.argos import ArgosTranslator
from translation.argos_setup import argos_importable
from translation.tinymodel import DEMO_WORDS, build_tiny_package

TINY_PAIRS = (("en", "es"), ("es", "en"), ("fr", "en"))

# Audit events that precede any network traffic from Python code (sockets, DNS, urllib).
NETWORK_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"})
_recording = threading.Event()
_attempts: list[tuple[str, tuple[object, ...]]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event in NETWORK_EVENTS and _recording.is_set():
        _attempts.append((event, args))


sys.addaudithook(_audit)  # audit hooks cannot be removed: install once, record only inside the fixture


@pytest.fixture
def network_attempts() -> Iterator[list[tuple[str, tuple[object, ...]]]]:
    """Every network attempt (connect / DNS / urllib) made by any thread while the test runs."""
    _attempts.clear()
    _recording.set()
    try:
        yield _attempts
    finally:
        _recording.clear()


@pytest.fixture(scope="session")
def tiny_package_files(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """`.argosmodel` files for en->es, es->en and fr->en, built once."""
    if not argos_importable():
        pytest.skip("argostranslate/ctranslate2 (the translation extra) not installed")
    out = tmp_path_factory.mktemp("argosmodels")
    return {
        pair: build_tiny_package(out / f"{pair[0]}_{pair[1]}.argosmodel", *pair, DEMO_WORDS[pair])
        for pair in TINY_PAIRS
    }


@pytest.fixture(scope="session")
def packages_dir(tmp_path_factory: pytest.TempPathFactory, tiny_package_files: dict[tuple[str, str], Path]) -> Path:
    """A packages dir with the tiny models installed through argos's real install path."""
    from translation.packages import install_package

    directory = tmp_path_factory.mktemp("packages")
    for file in tiny_package_files.values():
        install_package(file, directory)
    return directory


@pytest.fixture(scope="session")
def argos_translator(packages_dir: Path) -> ArgosTranslator:
    """One ArgosTranslator over the tiny models, shared (it is thread-safe and read-only)."""
    return ArgosTranslator(packages_dir)
