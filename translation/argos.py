"""Argos Translate backend: installed Argos packages, loaded by argostranslate and run offline in batches."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from translation.argos_batch import Decoding, translate_texts
from translation.argos_setup import load_argos
from translation.base import LanguagePair, PairUnavailable, TranslationError, route
from translation.packages import chosen_packages, list_installed
from translation.splitter import RegexSentenceSplitter

logger = logging.getLogger(__name__)


class ArgosTranslator:
    """Translate with the Argos packages installed in `packages_dir`, pivoting through English when needed.

    Packages are read once, at construction; each model loads on its first use. `intra_threads` is the
    thread count inside one translation call; `inter_threads` is how many calls on the same model may run in
    parallel (CTranslate2 keeps that many model replicas; set it to the number of threads that call it).
    `device` is CTranslate2's: "cpu", or "cuda" on a GPU box running `bridgeway translation-worker`.

    Packages load through argostranslate (`Package`, its tokenizer, `PackageTranslation`); `translate_batch` runs
    argos's steps for all its texts in one CTranslate2 call (`translation.argos_batch`) with `decoding`. The
    language graph is built per instance instead of with argos's global `get_translation_from_codes`: that one
    reads a process-wide package dir, caches by "from-to" across directories and lets argos pick a sentence
    splitter that downloads models; here the splitter is `RegexSentenceSplitter` and nothing reaches the network.
    """

    def __init__(
        self,
        packages_dir: Path,
        intra_threads: int = 1,
        *,
        inter_threads: int = 1,
        decoding: Decoding | None = None,
        device: str = "cpu",
    ) -> None:
        translate = load_argos(intra_threads)
        from argostranslate import package

        self._packages_dir = packages_dir
        self._intra_threads = intra_threads
        self._inter_threads = inter_threads
        self.decoding = decoding or Decoding()
        self._device = device
        self._load_lock = threading.Lock()
        self._translations: dict[LanguagePair, Any] = {}
        languages: dict[str, Any] = {}
        fingerprint = hashlib.sha256()
        # One package per pair, by the same rule `bridgeway translation list` reports (newest version wins).
        serving = {info.name for info in chosen_packages(list_installed(packages_dir)).values()}
        for pkg_dir in sorted(packages_dir.iterdir()) if packages_dir.is_dir() else []:
            metadata = pkg_dir / "metadata.json"
            if not metadata.is_file() or pkg_dir.name not in serving:
                continue
            try:
                pkg = package.Package(pkg_dir)
            except (OSError, ValueError) as exc:
                logger.warning("skipping unreadable Argos package %s: %s", pkg_dir, exc)
                continue
            if pkg.type != "translate" or not hasattr(pkg, "tokenizer"):
                continue
            pair = (pkg.from_code, pkg.to_code)
            source = languages.setdefault(pkg.from_code, translate.Language(pkg.from_code, pkg.from_name))
            target = languages.setdefault(pkg.to_code, translate.Language(pkg.to_code, pkg.to_name))
            translation = translate.PackageTranslation(source, target, pkg)
            translation.sentencizer = RegexSentenceSplitter()
            self._translations[pair] = translation
            fingerprint.update(_package_fingerprint(pkg_dir))
        if not self._translations:
            logger.warning("no Argos translation packages installed in %s", packages_dir)
        self._model_version = "argos-" + fingerprint.hexdigest()[:16]

    @property
    def model_version(self) -> str:
        """A digest of the installed packages' metadata and model files, for cache keys."""
        return self._model_version

    def available_pairs(self) -> set[LanguagePair]:
        """The directly installed (source, target) pairs."""
        return set(self._translations)

    def can_translate(self, source: str, target: str) -> bool:
        """True for installed pairs, pairs reachable through English, and identical languages."""
        return source == target or route(self._translations, source, target) is not None

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Translate the texts together (blocking; thread-safe). Raises PairUnavailable, or TranslationError on failure.

        A pivot translates the whole batch into English, then the English batch into the target (argos's
        `CompositeTranslation` with one hypothesis does the same, one text at a time).
        """
        if source == target:
            return list(texts)
        steps = route(self._translations, source, target)
        if steps is None:
            raise PairUnavailable(f"no Argos package translates {source}->{target}")
        out = list(texts)
        try:
            for pair in steps:
                self._ensure_loaded(pair)
                out = translate_texts(self._translations[pair], out, self.decoding)
        except RuntimeError as exc:  # CTranslate2 errors, e.g. a sentence longer than the model supports
            raise TranslationError(f"Argos failed to translate {source}->{target}: {exc}") from exc
        return out

    def load_models(self) -> None:
        """Load every installed pair's model now (blocking) instead of on its first message.

        Call it from the thread that will translate: CTranslate2's own threads start here and inherit that thread's
        CPU priority (see `MicroBatcher`'s `nice`), and no student's message waits for a model to load.
        """
        for pair in sorted(self._translations):
            self._ensure_loaded(pair)

    def _ensure_loaded(self, pair: LanguagePair) -> None:
        # Argos would create the CTranslate2 model lazily from global settings and without a lock; create it
        # here once, with this translator's thread count. CTranslate2 translators are safe to share.
        translation = self._translations[pair]
        if translation.translator is not None:
            return
        with self._load_lock:
            if translation.translator is None:
                import ctranslate2
                from argostranslate import settings

                translation.translator = ctranslate2.Translator(
                    str(translation.pkg.package_path / "model"),
                    device=self._device,
                    inter_threads=self._inter_threads,
                    intra_threads=self._intra_threads,
                    compute_type=settings.compute_type,
                )


def _package_fingerprint(pkg_dir: Path) -> bytes:
    parts: list[object] = [pkg_dir.name, json.loads((pkg_dir / "metadata.json").read_text(encoding="utf-8"))]
    for relative in ("model/model.bin", "sentencepiece.model", "bpe.model"):
        path = pkg_dir / relative
        if path.exists():
            stat = path.stat()
            parts.append([relative, stat.st_size, stat.st_mtime_ns])
    return json.dumps(parts, sort_keys=True, default=str).encode()
