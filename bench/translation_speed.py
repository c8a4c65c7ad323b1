"""Sentences/s of the base-size random model through Bridgeway's own queue, for choosing batch, beam and threads.

Every configuration translates the same distinct 16-token lines (16 tokens out) through `MicroBatcher` ->
`ArgosTranslator`, i.e. the code the server runs, with all jobs queued at once (a saturated queue). "per
CPU-second" divides by the CPU the process actually got, which stays comparable on a machine shared with other work.

    python -m bench.translation_speed [--sentences 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from concurrent.futures import wait
from dataclasses import dataclass
from pathlib import Path

from bench.procstat import CpuMeter, load_average
from bench.translation_model import BASE, CACHE, cached_packages, sentences
from translation.argos import ArgosTranslator
from translation.argos_batch import Decoding
from translation.batcher import MicroBatcher

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Config:
    batch: int
    beam: int = 1
    workers: int = 1  # threads calling the model (CTranslate2 replicas)
    intra: int = 1  # threads inside one call

    @property
    def label(self) -> str:
        return f"batch {self.batch:>2}, beam {self.beam}, {self.workers} worker x {self.intra} thread"


CONFIGS = (
    Config(batch=1, beam=4),  # Argos's defaults: one text at a time, beam 4
    Config(batch=1),
    Config(batch=8),
    Config(batch=16),
    Config(batch=32),
    Config(batch=32, beam=4),
    Config(batch=32, intra=2),
    Config(batch=16, workers=2),
    Config(batch=32, workers=2),
    Config(batch=32, beam=4, workers=2),
)


def measure(packages: Path, config: Config, texts: list[str]) -> dict[str, float]:
    decoding = Decoding(beam_size=config.beam, max_batch_size=config.batch, min_length=16, max_length=16)
    translator = ArgosTranslator(packages, config.intra, inter_threads=config.workers, decoding=decoding)
    translator.translate_batch(texts[: config.batch], "en", "es")  # load the model outside the timing
    batcher = MicroBatcher(
        translator, workers=config.workers, max_queue=len(texts), batch_size=config.batch, batch_wait=0.01
    )
    meter = CpuMeter([os.getpid()])
    meter.start()
    started = time.perf_counter()
    futures = [batcher.submit(text, "en", "es", time.time() + 3600) for text in texts]
    wait(futures)
    seconds = time.perf_counter() - started
    cores = meter.stop()
    asyncio.run(batcher.aclose())
    assert all(f.result() for f in futures)
    per_s = len(texts) / seconds
    return {"per_s": round(per_s, 1), "ms_each": round(seconds * 1000 / len(texts), 1), "cores": round(cores, 2),
            "per_core_s": round(per_s / cores, 1) if cores else 0.0}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--cache-dir", type=Path, default=CACHE)
    parser.add_argument("--out", type=Path, default=RESULTS / "translation_speed.json")
    args = parser.parse_args(argv)
    packages = cached_packages(BASE, args.cache_dir)
    texts = sentences(BASE, args.sentences)
    rows = []
    print(f"base-size random model (int8), {len(texts)} distinct 16-token lines; load {load_average():.2f}")
    for config in CONFIGS:
        if config.workers * config.intra > (os.cpu_count() or 1):
            continue
        texts_for = texts if config.batch > 1 else texts[:48]  # one at a time is slow: fewer lines
        result = measure(packages, config, texts_for)
        rows.append({"config": config.__dict__, **result, "load": load_average()})
        print(f"  {config.label}: {result['per_s']:6.1f} sentences/s ({result['ms_each']} ms each, "
              f"{result['cores']} cores: {result['per_core_s']} per CPU-second), load {load_average():.2f}",
              flush=True)  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows, "cores": os.cpu_count()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
