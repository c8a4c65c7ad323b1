"""The translation benchmarks, small: the random-weight pack loads through Argos, and both benches run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import translation_load
from bench.translation_model import BASE, SMALL, cached_packages, sentences
from bench.translation_speed import Config, measure
from translation.argos import ArgosTranslator
from translation.argos_batch import Decoding

pytestmark = pytest.mark.translation


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


def test_base_shape_is_argos_size() -> None:
    assert (BASE.layers, BASE.d_model, BASE.ffn, BASE.heads, BASE.vocab, BASE.quantization) == (
        6, 512, 2048, 8, 32_000, "int8"
    )  # fmt: skip


def test_random_pack_installs_and_translates_through_argos(cache: Path) -> None:
    import sentencepiece  # the translation extra: imported here so collection works without it

    packages = cached_packages(SMALL, cache)
    assert cached_packages(SMALL, cache) == packages  # built once
    translator = ArgosTranslator(packages, decoding=Decoding(min_length=16, max_length=16))
    assert translator.available_pairs() == {("en", "es"), ("es", "en")}
    texts = sentences(SMALL, 4)
    tokenizer = sentencepiece.SentencePieceProcessor(
        model_file=str(packages / "translate-en_es-random" / "sentencepiece.model")
    )
    assert [len(tokenizer.encode(text)) for text in texts] == [16] * 4  # 15 words and a full stop
    vocabulary = json.loads((packages / "translate-en_es-random" / "model" / "shared_vocabulary.json").read_text())
    assert len(vocabulary) == SMALL.vocab
    out = translator.translate_batch(texts, "en", "es")
    assert len(out) == 4
    assert all(out)


def test_speed_bench_measures_the_server_queue(cache: Path) -> None:
    result = measure(cached_packages(SMALL, cache), Config(batch=8), sentences(SMALL, 16))
    assert result["per_s"] > 0


def test_load_bench_runs_against_a_real_server(cache: Path, tmp_path: Path) -> None:
    args = ["--small", "--rates", "4", "--seconds", "2", "--warmup", "0", "--rooms", "2", "--plain-rooms", "1"]
    args += ["--background", "4"]
    (row,) = translation_load.main([*args, "--cache-dir", str(cache), "--out", str(tmp_path / "out.json")])
    assert row["sent_needing_translation"] >= 7  # 4/s for 2 s
    assert row["translated"] == row["sent_needing_translation"]  # every message needing translation got it
    assert row["originals_sent"] >= 7
    assert 0 < row["added_p50_ms"] <= row["added_p99_ms"] < 5000
    assert 0 < row["originals_p50_ms"] <= row["originals_p99_ms"] < 5000
