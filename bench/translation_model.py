"""A translation model of real Argos size with random weights, built offline and packaged as an Argos language pack.

Argos's language packs are OpenNMT Transformers: 6 encoder and 6 decoder layers, d_model 512, FFN 2048, 8 heads,
a 32k SentencePiece vocabulary, run by CTranslate2 in int8. Random weights cost exactly what trained weights
cost; they never emit the end token, so the output length is fixed by capping it (`BRIDGEWAY_TRANSLATION_MAX_TOKENS`
or `Decoding(min_length=..., max_length=...)`). The pack goes through `bridgeway translation install`'s code and
loads through argostranslate, as the tests' tiny model does. Building takes a few seconds; packs are cached.

    python -m bench.translation_model            # build (or reuse) the base-size en<->es packs, print where
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
PAIRS = (("en", "es"), ("es", "en"))
_SPACE = "\u2581"
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class ModelShape:
    """The Transformer's size; BASE is Argos's, SMALL is for tests (a model that is slow enough to kill mid-batch)."""

    layers: int = 6
    d_model: int = 512
    ffn: int = 2048
    heads: int = 8
    vocab: int = 32_000
    quantization: str = "int8"

    @property
    def key(self) -> str:
        return f"L{self.layers}-d{self.d_model}-f{self.ffn}-h{self.heads}-v{self.vocab}-{self.quantization}"


BASE = ModelShape()
SMALL = ModelShape(layers=2, d_model=256, ffn=1024, heads=4, vocab=4_000)


def words(shape: ModelShape) -> list[str]:
    """The vocabulary's pseudo-words (one SentencePiece token each): syllables ending in "q", so no real word, no
    listed swear word and no digit ever appears in a benchmark message or in a random model's output."""
    rng = random.Random(shape.vocab)
    found: set[str] = set()
    while len(found) < shape.vocab - 300:
        syllables = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 3)))
        found.add(syllables + "q")
    return sorted(found)


def sentences(shape: ModelShape, count: int, tokens: int = 16, seed: int = 7) -> list[str]:
    """`count` distinct chat lines of exactly `tokens` tokens (words and a final full stop): no cache hits."""
    rng = random.Random(seed)
    vocabulary = words(shape)
    return [" ".join(rng.sample(vocabulary, tokens - 1)) + "." for _ in range(count)]


def build_package(out_file: Path, source: str, target: str, shape: ModelShape, seed: int = 0) -> Path:
    """Write a `.argosmodel` for `source`->`target` with random weights of `shape`."""
    import sentencepiece as spm

    vocabulary = words(shape)
    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["the quick brown fox jumps over the lazy dog . , ! ? ' -"] * 50),
        model_writer=proto,
        model_type="unigram",
        vocab_size=shape.vocab,
        hard_vocab_limit=False,
        byte_fallback=True,
        character_coverage=1.0,
        user_defined_symbols=[_SPACE + word for word in vocabulary],
        normalization_rule_name="identity",
        minloglevel=2,
        num_threads=1,
    )
    processor = spm.SentencePieceProcessor(model_proto=proto.getvalue())
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    pieces += [f"<pad{i}>" for i in range(shape.vocab - len(pieces))]  # exactly `vocab` model outputs
    name = f"translate-{source}_{target}-random"
    with tempfile.TemporaryDirectory(prefix="bridgeway-random-") as tmp:
        root = Path(tmp) / name
        root.mkdir()
        (root / "sentencepiece.model").write_bytes(proto.getvalue())
        _convert(root / "model", pieces, shape, seed)
        metadata = {
            "package_version": "0.0-random",
            "argos_version": "1.11.0",
            "from_code": source,
            "from_name": source,
            "to_code": target,
            "to_name": target,
            "type": "translate",
            "links": [],
        }
        (root / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        out_file.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out_file, "w", compression=zipfile.ZIP_STORED) as archive:
            for path in sorted(root.rglob("*")):
                archive.write(path, path.relative_to(tmp).as_posix())
    return out_file


def cached_packages(shape: ModelShape = BASE, cache: Path = CACHE, pairs: Sequence[tuple[str, str]] = PAIRS) -> Path:
    """A packages dir with `pairs` installed (through `translation.packages.install_package`), built once per shape."""
    from translation.packages import install_package

    directory = cache / shape.key / "packages"
    done = directory / "complete.json"
    if done.is_file() and json.loads(done.read_text()) == {"shape": asdict(shape), "pairs": [list(p) for p in pairs]}:
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bridgeway-random-") as tmp:
        for source, target in pairs:
            package = build_package(Path(tmp) / f"{source}_{target}.argosmodel", source, target, shape)
            install_package(package, directory)
    done.write_text(json.dumps({"shape": asdict(shape), "pairs": [list(p) for p in pairs]}))
    return directory


def _convert(output_dir: Path, vocabulary: list[str], shape: ModelShape, seed: int) -> None:
    import numpy as np
    from ctranslate2.converters import Converter
    from ctranslate2.specs import transformer_spec

    d, f32 = shape.d_model, np.float32
    rng = np.random.default_rng(seed)

    def weights(*size: int) -> Any:
        return rng.standard_normal(size, dtype=f32) * 0.05

    def norm(layer_norm: Any) -> None:
        layer_norm.gamma, layer_norm.beta = np.ones(d, f32), np.zeros(d, f32)

    def linear(layer: Any, rows: int, columns: int) -> None:
        layer.weight, layer.bias = weights(rows, columns), np.zeros(rows, f32)

    def attention(block: Any, fused: bool) -> None:
        norm(block.layer_norm)
        shapes = [(3 * d, d), (d, d)] if fused else [(d, d), (2 * d, d), (d, d)]
        for layer, (rows, columns) in zip(block.linear, shapes, strict=True):
            linear(layer, rows, columns)

    def ffn(block: Any) -> None:
        norm(block.layer_norm)
        linear(block.linear_0, shape.ffn, d)
        linear(block.linear_1, d, shape.ffn)

    class RandomConverter(Converter):  # type: ignore[misc]
        def _load(self) -> Any:
            spec = transformer_spec.TransformerSpec.from_config((shape.layers, shape.layers), shape.heads)
            spec.encoder.embeddings[0].weight = weights(shape.vocab, d)
            spec.decoder.embeddings.weight = weights(shape.vocab, d)
            norm(spec.encoder.layer_norm)
            norm(spec.decoder.layer_norm)
            for layer in spec.encoder.layer:
                attention(layer.self_attention, fused=True)
                ffn(layer.ffn)
            for layer in spec.decoder.layer:
                attention(layer.self_attention, fused=True)
                attention(layer.attention, fused=False)
                ffn(layer.ffn)
            linear(spec.decoder.projection, shape.vocab, d)
            spec.register_source_vocabulary(vocabulary)
            spec.register_target_vocabulary(vocabulary)
            return spec

    RandomConverter().convert(str(output_dir), quantization=shape.quantization, force=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, default=CACHE)
    parser.add_argument("--small", action="store_true", help="the small test shape instead of Argos's base size")
    args = parser.parse_args(argv)
    print(cached_packages(SMALL if args.small else BASE, args.cache_dir))


if __name__ == "__main__":
    main()
