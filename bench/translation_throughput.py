"""Translation throughput: Argos path and TranslationService (cold, cached) against raw CTranslate2.

Builds the tiny en->es demo model (no download), so the numbers measure Bridgeway's and Argos's overhead
around the model, not translation quality. Run: `python bench/translation_throughput.py [--sentences N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translation.argos import ArgosTranslator
from translation.cache import TranslationCache
from translation.packages import install_package
from translation.service import TranslationService
from translation.tinymodel import DEMO_WORDS, build_tiny_package

FILLER = "we played after lunch my your class today is very the a and in our city team game".split()


def sentences(count: int) -> list[str]:
    rng = random.Random(7)
    words = [*DEMO_WORDS[("en", "es")], *FILLER]
    return [
        " ".join(rng.choice(words) for _ in range(rng.randint(4, 14))).capitalize() + rng.choice(".!?")
        for _ in range(count)
    ]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:10.1f} translations/s  ({seconds * 1000 / count:6.2f} ms each)"


async def service_run(service: TranslationService, texts: list[str]) -> float:
    started = time.perf_counter()
    results = await asyncio.gather(*(service.translate(text, "en", ["es"]) for text in texts))
    elapsed = time.perf_counter() - started
    assert all(result["es"].ok for result in results)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    texts = sentences(args.sentences)

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        package = build_tiny_package(Path(tmp) / "en_es.argosmodel", "en", "es", DEMO_WORDS[("en", "es")])
        built = time.perf_counter() - started
        install_package(package, Path(tmp) / "packages")
        translator = ArgosTranslator(Path(tmp) / "packages", intra_threads=1, inter_threads=args.workers)
        translator.translate_batch(["warm up"], "en", "es")  # load the model outside the timings
        print(f"tiny model built in {built:.2f} s; {len(texts)} distinct sentences, 1 intra-op thread")

        # Baseline: CTranslate2 alone on pre-tokenized input, same decoding options as Argos (beam 4).
        import ctranslate2
        import sentencepiece

        pkg_dir = Path(tmp) / "packages" / "translate-en_es-tiny"
        tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(pkg_dir / "sentencepiece.model"))
        raw = ctranslate2.Translator(str(pkg_dir / "model"), device="cpu", intra_threads=1, compute_type="auto")
        tokens = [tokenizer.encode(text, out_type=str) for text in texts]
        started = time.perf_counter()
        for sentence in tokens:
            raw.translate_batch([sentence], beam_size=4, length_penalty=0.2, replace_unknowns=True)
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        raw.translate_batch(tokens, beam_size=4, length_penalty=0.2, max_batch_size=32, batch_type="tokens")
        batched = time.perf_counter() - started

        started = time.perf_counter()
        for text in texts:
            translator.translate_batch([text], "en", "es")
        argos = time.perf_counter() - started

        service = TranslationService(translator, TranslationCache(None), workers=args.workers, max_queue=10**6)
        cold = asyncio.run(service_run(service, texts))
        cached = asyncio.run(service_run(service, texts))
        asyncio.run(service.aclose())

    print(f"raw ctranslate2, one call per sentence : {rate(len(texts), baseline)}   baseline")
    print(f"raw ctranslate2, one batched call      : {rate(len(texts), batched)}   x{baseline / batched:.2f}")
    print(f"ArgosTranslator.translate_batch        : {rate(len(texts), argos)}   x{baseline / argos:.2f}")
    print(f"TranslationService cold ({args.workers} workers)    : {rate(len(texts), cold)}   x{baseline / cold:.2f}")
    print(f"TranslationService cached              : {rate(len(texts), cached)}   x{baseline / cached:.2f}")


if __name__ == "__main__":
    main()
