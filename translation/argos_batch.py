"""Many chat messages through one Argos package in one CTranslate2 call: argos's own steps, batched across texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decoding:
    """How CTranslate2 decodes: greedy by default, batches of up to `max_batch_size` sentences.

    Argos decodes with a beam of 4; for one-line chat messages greedy decoding (`beam_size=1`) is ~2x cheaper in
    batches and reads the same. `min_length`/`max_length` bound the output in tokens: chat keeps CTranslate2's
    256 ceiling; the benchmark fixes both to one value because a random-weight model never emits its end token.
    """

    beam_size: int = 1
    max_batch_size: int = 32
    min_length: int = 0
    max_length: int = 256
    length_penalty: float = 0.2  # argos's value

    def __post_init__(self) -> None:
        if self.beam_size < 1 or self.max_batch_size < 1 or not 0 <= self.min_length <= self.max_length:
            raise ValueError("beam_size and max_batch_size must be >= 1 and 0 <= min_length <= max_length")


def translate_texts(translation: Any, texts: Sequence[str], decoding: Decoding) -> list[str]:
    """Translate `texts` with one argos `PackageTranslation` (its package, tokenizer, splitter and loaded model).

    The same steps as argos's `apply_packaged_translation` with one hypothesis (paragraphs split on newlines,
    sentences split, SentencePiece/BPE tokens, the package's target prefix, tokens of a paragraph decoded together),
    but every sentence of every text goes into one `translate_batch` call: argos translates one text per call and
    batches by 32 *tokens*, so chat messages from many rooms could never share the model's matrix products.
    Raises RuntimeError (CTranslate2) on failure.
    """
    pkg = translation.pkg
    tokenizer = pkg.tokenizer
    tokens: list[list[str]] = []
    owners: list[tuple[int, int]] = []  # (text, paragraph) of each sentence
    paragraph_counts: list[int] = []
    for i, text in enumerate(texts):
        paragraphs = text.split("\n")
        paragraph_counts.append(len(paragraphs))
        for j, paragraph in enumerate(paragraphs):
            for sentence in translation.sentencizer.split_sentences(paragraph):
                tokens.append(tokenizer.encode(sentence))
                owners.append((i, j))
    prefix = pkg.target_prefix
    results = translation.translator.translate_batch(
        tokens,
        target_prefix=[[prefix]] * len(tokens) if prefix != "" else None,
        replace_unknowns=True,
        max_batch_size=decoding.max_batch_size,
        batch_type="examples",
        beam_size=decoding.beam_size,
        num_hypotheses=1,
        length_penalty=decoding.length_penalty,
        min_decoding_length=decoding.min_length,
        max_decoding_length=decoding.max_length,
    )
    joined: dict[tuple[int, int], list[str]] = {}
    for owner, result in zip(owners, results, strict=True):
        joined.setdefault(owner, []).extend(result.hypotheses[0])
    out = []
    for i, count in enumerate(paragraph_counts):
        values = [_decoded(tokenizer.decode(joined.get((i, j), [])), prefix) for j in range(count)]
        out.append("\n".join(values).lstrip("\n"))  # argos joins paragraphs onto "" and strips leading newlines
    return out


def _decoded(value: str, prefix: str) -> str:
    if prefix != "" and value.startswith(prefix):
        value = value[len(prefix) :]
    if value.startswith(" "):  # the space SentencePiece puts before the first word
        value = value[1:]
    return value
