"""ArgosTranslator on real (tiny) Argos packages through argostranslate's own code path."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from translation.argos import ArgosTranslator
from translation.base import PairUnavailable, TranslationError, Translator
from translation.packages import install_package

pytestmark = pytest.mark.translation


@pytest.mark.parametrize(
    ("source", "target", "text", "expected"),
    [
        ("en", "es", "Hello world", "Hola mundo"),
        ("en", "es", "hello world", "hola mundo"),
        ("en", "es", "Thanks, my good friend!", "Gracias, my bueno amigo!"),
        ("en", "es", "Hello world. Goodbye!", "Hola mundo. Adiós!"),
        ("en", "es", "Good morning\nThanks", "Bueno mañana\nGracias"),
        ("en", "es", "HELLO Othello 😀 Ünïcödé", "HELLO Othello 😀 Ünïcödé"),
        ("en", "es", "", ""),
        ("es", "en", "Hola mundo, gracias.", "Hello world, thanks."),
        ("fr", "en", "Bonjour le monde!", "Hello le world!"),
    ],
    ids=[
        "capitalised",
        "lowercase",
        "punctuation",
        "two-sentences",
        "paragraphs",
        "copied-unchanged",
        "empty",
        "es-en",
        "fr-en",
    ],
)
def test_translate_batch_exact_output(
    argos_translator: ArgosTranslator, source: str, target: str, text: str, expected: str
) -> None:
    assert argos_translator.translate_batch([text], source, target) == [expected]


def test_translate_batch_keeps_order_of_many_texts(argos_translator: ArgosTranslator) -> None:
    texts = ["Hello", "world", "Thanks friend", "school music"]
    assert argos_translator.translate_batch(texts, "en", "es") == ["Hola", "mundo", "Gracias amigo", "escuela música"]


def test_translate_batch_pivots_through_english(argos_translator: ArgosTranslator) -> None:
    # fr->es is not installed: argos's CompositeTranslation runs fr->en then en->es.
    assert ("fr", "es") not in argos_translator.available_pairs()
    assert argos_translator.translate_batch(["Bonjour mon ami, merci!"], "fr", "es") == ["Hola mon amigo, gracias!"]


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("en", "es", True),
        ("fr", "es", True),
        ("es", "en", True),
        ("es", "fr", False),
        ("de", "en", False),
        ("de", "de", True),
    ],
    ids=["direct", "pivot", "reverse-direct", "no-model-into-fr", "unknown-source", "identity"],
)
def test_can_translate_direct_pivot_and_missing(
    argos_translator: ArgosTranslator, source: str, target: str, expected: bool
) -> None:
    assert argos_translator.can_translate(source, target) is expected


def test_available_pairs_lists_installed_packages(argos_translator: ArgosTranslator) -> None:
    assert argos_translator.available_pairs() == {("en", "es"), ("es", "en"), ("fr", "en")}
    assert isinstance(argos_translator, Translator)


def test_translate_batch_missing_pair_raises_pair_unavailable(argos_translator: ArgosTranslator) -> None:
    with pytest.raises(PairUnavailable, match="es->fr"):
        argos_translator.translate_batch(["Hola"], "es", "fr")


def test_translate_batch_same_language_returns_texts(argos_translator: ArgosTranslator) -> None:
    assert argos_translator.translate_batch(["Hello world"], "en", "en") == ["Hello world"]


def test_translate_batch_model_error_raises_translation_error(argos_translator: ArgosTranslator) -> None:
    # The tiny model has position encodings for 256 tokens only; CTranslate2 rejects longer sentences.
    with pytest.raises(TranslationError, match="en->es"):
        argos_translator.translate_batch(["x " * 300], "en", "es")


def test_translate_makes_no_network_connection(
    packages_dir: Path, network_attempts: list[tuple[str, tuple[object, ...]]]
) -> None:
    translator = ArgosTranslator(packages_dir)  # fresh: package loading and first model load are audited too
    assert translator.translate_batch(["Hello world. Thanks!"], "en", "es") == ["Hola mundo. Gracias!"]
    assert translator.translate_batch(["Bonjour monde"], "fr", "es") == ["Hola mundo"]
    assert network_attempts == []
    # Control: the audit does see a connection attempt (to a closed local port).
    with pytest.raises(OSError):  # noqa: PT011 - refused or unreachable, depending on the sandbox
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
    assert "socket.connect" in [event for event, _ in network_attempts]


def test_model_version_changes_when_packages_change(
    tmp_path: Path, tiny_package_files: dict[tuple[str, str], Path]
) -> None:
    install_package(tiny_package_files[("en", "es")], tmp_path)
    first = ArgosTranslator(tmp_path)
    assert ArgosTranslator(tmp_path).model_version == first.model_version
    install_package(tiny_package_files[("es", "en")], tmp_path)
    second = ArgosTranslator(tmp_path)
    assert second.model_version != first.model_version
    assert second.available_pairs() == {("en", "es"), ("es", "en")}


def test_translator_skips_folders_that_are_not_packages(
    tmp_path: Path, tiny_package_files: dict[tuple[str, str], Path]
) -> None:
    install_package(tiny_package_files[("en", "es")], tmp_path)
    (tmp_path / "stray-folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a package")
    assert ArgosTranslator(tmp_path).translate_batch(["Hello"], "en", "es") == ["Hola"]


def test_translator_with_empty_or_missing_dir_has_no_pairs(tmp_path: Path) -> None:
    translator = ArgosTranslator(tmp_path / "missing")
    assert translator.available_pairs() == set()
    assert not translator.can_translate("en", "es")


def test_two_translators_over_different_dirs_do_not_share_models(
    tmp_path: Path, packages_dir: Path, tiny_package_files: dict[tuple[str, str], Path]
) -> None:
    # argos's global registry caches translations by "from-to" across directories; ours must not.
    other = tmp_path / "other"
    install_package(tiny_package_files[("es", "en")], other)
    shutil.copytree(packages_dir / "translate-en_es-tiny", other / "translate-en_es-tiny")
    only_es_en = ArgosTranslator(other)
    assert only_es_en.translate_batch(["Hola amigo"], "es", "en") == ["Hello friend"]
    assert not only_es_en.can_translate("fr", "es")


def test_translate_does_not_log_message_text(
    argos_translator: ArgosTranslator, caplog: pytest.LogCaptureFixture
) -> None:
    # argostranslate logs every text at INFO; students' messages must not reach the server logs.
    with caplog.at_level("DEBUG"):
        assert argos_translator.translate_batch(["Hello secret world"], "en", "es") == ["Hola secret mundo"]
    assert not [record for record in caplog.records if "secret" in record.getMessage()]
