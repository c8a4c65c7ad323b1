"""Pick the configured translation backend."""

from __future__ import annotations

import logging
from pathlib import Path

from translation.argos_batch import Decoding
from translation.base import Translator
from translation.disabled import DisabledTranslator

logger = logging.getLogger(__name__)

BACKENDS = ("argos", "off")


def create_translator(
    backend: str,
    packages_dir: Path,
    *,
    intra_threads: int = 1,
    inter_threads: int = 1,
    decoding: Decoding | None = None,
    device: str = "cpu",
) -> Translator:
    """Build the translator named by `backend` ("argos" or "off").

    "argos" degrades to DisabledTranslator with a warning when argostranslate (the `translation` extra) is not
    installed, so the core app still runs; rooms then just show original messages. For "argos", pass the
    service's worker count as `inter_threads` so that many translations can run in parallel.
    """
    if backend == "off":
        return DisabledTranslator()
    if backend != "argos":
        raise ValueError(f"unknown translation backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    try:
        from translation.argos import ArgosTranslator

        return ArgosTranslator(
            packages_dir, intra_threads, inter_threads=inter_threads, decoding=decoding, device=device
        )
    except ImportError as exc:
        logger.warning("translation disabled: argostranslate is not importable (%s)", exc)
        return DisabledTranslator()
