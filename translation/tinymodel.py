"""Build tiny, valid Argos packages offline: a hand-wired copy-and-swap Transformer for tests, benchmarks and demos."""

from __future__ import annotations

import io
import json
import random
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from translation.base import LanguagePair

if TYPE_CHECKING:
    from translation.packages import PackageInfo

# Word lists for `bridgeway translation install-demo` and the tests: enough to see a real swap in a chat message.
DEMO_WORDS: Mapping[LanguagePair, Mapping[str, str]] = {
    ("en", "es"): {
        "hello": "hola",
        "world": "mundo",
        "friend": "amigo",
        "good": "bueno",
        "morning": "mañana",
        "thanks": "gracias",
        "school": "escuela",
        "yes": "sí",
        "music": "música",
        "goodbye": "adiós",
    },
    ("es", "en"): {
        "hola": "hello",
        "mundo": "world",
        "amigo": "friend",
        "bueno": "good",
        "gracias": "thanks",
        "escuela": "school",
        "sí": "yes",
        "música": "music",
        "adiós": "goodbye",
    },
    ("fr", "en"): {
        "bonjour": "hello",
        "monde": "world",
        "ami": "friend",
        "merci": "thanks",
        "école": "school",
        "oui": "yes",
        "musique": "music",
        "salut": "hi",
    },
}

LANGUAGE_NAMES: Mapping[str, str] = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "uk": "Ukrainian",
}

TINY_PACKAGE_VERSION = "0.1-tiny"
_SPACE = "\u2581"  # SentencePiece's word-boundary marker
_WORD = re.compile(r"^[^\s_]+$")
_FILLER = (
    "the a we you they is are was to of and in on at it my your our this that with for from not but so "
    "today tomorrow class team game book city river lunch sunny rainy 0 1 2 3 4 5 6 7 8 9 "
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz . , ! ? ; : ' \" ( ) - / @ # % & * + ="
).split()


def build_tiny_package(
    out_file: Path,
    source: str,
    target: str,
    words: Mapping[str, str],
    *,
    max_tokens: int = 256,
    version: str = TINY_PACKAGE_VERSION,
    name: str | None = None,
) -> Path:
    """Write a tiny `.argosmodel` for `source`->`target` that copies its input and swaps the given words.

    Nothing is downloaded and torch is not needed: SentencePiece (byte fallback, so any text round-trips) is
    trained on a few hundred generated lines, and the weights of a one-layer CTranslate2 Transformer are set
    with numpy so that cross-attention aligns each output position with the same source position and the
    output projection maps every token to itself, except the word pieces in `words`. Each word swaps in its
    lowercase and Capitalised form (`Hello world` -> `Hola mundo`); other casings (`HELLO`) and words inside
    longer words are copied unchanged, which keeps outputs exact and predictable for assertions. Words must be
    single tokens without whitespace or underscores. Sentences longer than `max_tokens` SentencePiece tokens
    are not supported by the model. ``version`` and ``name`` (the package folder, ``translate-<src>_<tgt>-tiny`` by
    default) let tests install two packages for one pair.
    """
    import sentencepiece as spm

    if not words:
        raise ValueError("words must not be empty")
    for word in (*words, *words.values()):
        if not _WORD.match(word):
            raise ValueError(f"not a single word: {word!r}")
    pieces = _word_pieces(words)
    lines = _training_lines(words)
    characters = {char for line in lines for char in line}
    model_proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model_proto,
        model_type="unigram",
        vocab_size=256 + 3 + len(pieces) + len(characters) + 40,  # bytes, specials, words, chars
        hard_vocab_limit=False,
        byte_fallback=True,
        character_coverage=1.0,
        user_defined_symbols=pieces,
        normalization_rule_name="identity",
        minloglevel=2,
        num_threads=1,
    )
    processor = spm.SentencePieceProcessor(model_proto=model_proto.getvalue())
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    index = {piece: i for i, piece in enumerate(vocabulary)}
    swaps = {index[_SPACE + form(s)]: index[_SPACE + form(t)] for s, t in words.items() for form in _FORMS}

    name = name or f"translate-{source}_{target}-tiny"
    with tempfile.TemporaryDirectory(prefix="bridgeway-tiny-") as tmp:
        root = Path(tmp) / name
        root.mkdir()
        (root / "sentencepiece.model").write_bytes(model_proto.getvalue())
        _convert_copy_model(root / "model", vocabulary, swaps, index["</s>"], max_tokens)
        metadata = {
            "package_version": version,
            "argos_version": "1.11.0",
            "from_code": source,
            "from_name": LANGUAGE_NAMES.get(source, source),
            "to_code": target,
            "to_name": LANGUAGE_NAMES.get(target, target),
            "type": "translate",
            "links": [],
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (root / "README.md").write_text(
            f"Tiny {source}->{target} demo model built by Bridgeway: copies text, swaps {len(words)} words.\n",
            encoding="utf-8",
        )
        out_file.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out_file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for path in sorted(root.rglob("*")):
                archive.write(path, path.relative_to(tmp).as_posix())
    return out_file


def install_demo_packages(packages_dir: Path) -> list[PackageInfo]:
    """Build and install the DEMO_WORDS models (en->es, es->en, fr->en) for `bridgeway translation install-demo`."""
    from translation.packages import install_package

    with tempfile.TemporaryDirectory(prefix="bridgeway-demo-") as tmp:
        return [
            install_package(build_tiny_package(Path(tmp) / f"{s}_{t}.argosmodel", s, t, words), packages_dir)
            for (s, t), words in DEMO_WORDS.items()
        ]


_FORMS = (str.lower, str.capitalize)


def _word_pieces(words: Mapping[str, str]) -> list[str]:
    # Forced pieces guarantee each swapped word is one token, so the 1:1 copy model can swap it.
    pieces: list[str] = []
    for pair in words.items():
        for word in pair:
            for form in _FORMS:
                piece = _SPACE + form(word)
                if piece not in pieces:
                    pieces.append(piece)
    return pieces


def _training_lines(words: Mapping[str, str]) -> list[str]:
    rng = random.Random(20240611)  # fixed seed: the same words always build the same vocabulary
    vocabulary = [*_FILLER, *words, *words.values()]
    return [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 12))) for _ in range(400)]


def _convert_copy_model(
    output_dir: Path, vocabulary: Sequence[str], swaps: Mapping[int, int], eos: int, max_tokens: int
) -> None:
    """Save the copy-and-swap Transformer with CTranslate2's own converter machinery (spec + validation)."""
    import numpy as np
    from ctranslate2.converters import Converter
    from ctranslate2.specs import transformer_spec

    vocab_size = len(vocabulary)
    positions = max_tokens + 1  # room for the </s> CTranslate2 appends to the source
    # Hidden layout: [one-hot token | one-hot position | beacon]. The beacon is constant in every decoder
    # state and set only on the source </s>, so a decoder position past the end of the source attends to
    # </s> and emits it: every beam ends right after the copied sentence instead of running to max length.
    beacon = vocab_size + positions
    dim = beacon + 1
    f32 = np.float32

    # RMS norm keeps the one-hot layout (it only rescales); each vector has a fixed norm, so the scale is known.
    enc_norm = (dim / 2) ** 0.5  # encoder states: token + position
    eos_norm = (dim / 3) ** 0.5  # source </s>: token + position + beacon
    dec_norm = (dim / 2) ** 0.5  # decoder states: position + beacon
    match_scale = 100 / (dec_norm * enc_norm / dim**0.5)  # same position: +100 nats
    beacon_scale = 50 / (dec_norm * eos_norm / dim**0.5)  # any position -> </s>: +50 nats, loses to a match

    class CopyModelConverter(Converter):  # type: ignore[misc]
        def _load(self) -> Any:
            spec = transformer_spec.TransformerSpec.from_config((1, 1), 1, rms_norm=True)
            spec.config.add_source_eos = True
            encoder, decoder = spec.encoder, spec.decoder
            token_embeddings = np.zeros((vocab_size, dim), f32)
            token_embeddings[np.arange(vocab_size), np.arange(vocab_size)] = 1
            token_embeddings[eos, beacon] = 1
            position_encodings = np.zeros((positions, dim), f32)
            position_encodings[np.arange(positions), vocab_size + np.arange(positions)] = 1

            encoder.embeddings[0].weight = token_embeddings
            encoder.scale_embeddings = False
            encoder.position_encodings.encodings = position_encodings
            encoder.layer_norm.gamma = np.ones(dim, f32)
            _silence_attention(encoder.layer[0].self_attention, fused_projections=1)
            _silence_ffn(encoder.layer[0].ffn)

            decoder_embeddings = np.zeros((vocab_size, dim), f32)
            decoder_embeddings[:, beacon] = 1  # the output so far is ignored: only the position matters
            decoder.embeddings.weight = decoder_embeddings
            decoder.scale_embeddings = False
            decoder.position_encodings.encodings = position_encodings.copy()
            decoder.layer_norm.gamma = np.ones(dim, f32)
            layer = decoder.layer[0]
            _silence_attention(layer.self_attention, fused_projections=1)
            _silence_ffn(layer.ffn)

            cross = layer.attention
            _silence_attention(cross, fused_projections=2)
            pos = slice(vocab_size, vocab_size + positions)
            tok = slice(0, vocab_size)
            queries, keys_values, out = cross.linear[0].weight, cross.linear[1].weight, cross.linear[2].weight
            queries[pos, pos] = match_scale * np.eye(positions, dtype=f32)
            queries[beacon, beacon] = beacon_scale
            keys_values[pos, pos] = np.eye(positions, dtype=f32)
            keys_values[beacon, beacon] = 1
            keys_values[dim + tok.start : dim + tok.stop, tok] = np.eye(vocab_size, dtype=f32)  # values: token
            out[tok, tok] = np.eye(vocab_size, dtype=f32)

            projection = np.zeros((vocab_size, dim), f32)
            for token in range(vocab_size):
                projection[swaps.get(token, token), token] = 2.0
            decoder.projection.weight = projection
            decoder.projection.bias = np.zeros(vocab_size, f32)

            spec.register_source_vocabulary(list(vocabulary))
            spec.register_target_vocabulary(list(vocabulary))
            return spec

    def _silence_attention(attention: Any, fused_projections: int) -> None:
        attention.layer_norm.gamma = np.ones(dim, f32)
        if fused_projections == 1:  # self-attention: fused QKV, output
            shapes = [(3 * dim, dim), (dim, dim)]
        else:  # cross-attention: Q, fused KV, output
            shapes = [(dim, dim), (2 * dim, dim), (dim, dim)]
        for linear, shape in zip(attention.linear, shapes, strict=True):
            linear.weight = np.zeros(shape, f32)

    def _silence_ffn(ffn: Any) -> None:
        ffn.layer_norm.gamma = np.ones(dim, f32)
        ffn.linear_0.weight = np.zeros((1, dim), f32)  # an inner size of 1 keeps the unused block tiny
        ffn.linear_1.weight = np.zeros((dim, 1), f32)

    CopyModelConverter().convert(str(output_dir), force=True)
