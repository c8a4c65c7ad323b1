"""Configure and import argostranslate so that it never touches the network or the user's home directory."""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_runtime_dir: Path | None = None


def argos_importable() -> bool:
    """Cheap check (no import) that argostranslate and ctranslate2 are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("argostranslate", "ctranslate2"))


def load_argos(intra_threads: int = 1) -> Any:
    """Import argostranslate configured for offline, CPU-only use and return its `translate` module.

    Argos reads its settings from the environment once, at import, and creates its data/config/cache
    directories under the XDG dirs (the home directory by default) at that moment. So the first call sets the
    variables just for the import, pointing the XDG dirs at a private temporary directory (no stray dirs, no
    user settings.json leaking in, works with a read-only home), then restores the environment. Argos's
    `sbd` module does a bare `import stanza`; when stanza (and its torch dependency) is not installed a
    placeholder module satisfies it: Bridgeway never uses stanza, it installs its own splitter.
    Raises ImportError when argostranslate or its runtime dependencies are missing.
    """
    global _runtime_dir
    with _lock:
        if "argostranslate.translate" in sys.modules and _runtime_dir is not None:
            return sys.modules["argostranslate.translate"]
        if importlib.util.find_spec("stanza") is None:
            placeholder = types.ModuleType("stanza")
            placeholder.__doc__ = "Placeholder installed by Bridgeway: stanza sentence splitting is never used."
            sys.modules.setdefault("stanza", placeholder)
        runtime = _runtime_dir or Path(tempfile.mkdtemp(prefix="bridgeway-argos-"))
        settings_env = {
            "XDG_DATA_HOME": str(runtime / "data"),
            "XDG_CONFIG_HOME": str(runtime / "config"),
            "XDG_CACHE_HOME": str(runtime / "cache"),
            "ARGOS_PACKAGES_DIR": str(runtime / "packages"),  # unused: packages are loaded per translator
            "ARGOS_DEVICE_TYPE": "cpu",
            "ARGOS_INTRA_THREADS": str(intra_threads),
            "ARGOS_INTER_THREADS": "1",
            "ARGOS_MODEL_PROVIDER": "OPENNMT",  # the others call remote APIs
            # The spaCy splitter downloads a model at import; STANZA makes package loading build only a lazy
            # placeholder splitter, which Bridgeway replaces before any translation.
            "ARGOS_CHUNK_TYPE": "STANZA",
        }
        try:
            with _temporary_environ(settings_env):
                from argostranslate import settings, translate
        except BaseException:
            if _runtime_dir is None:
                shutil.rmtree(runtime, ignore_errors=True)
            raise
        if _runtime_dir is None:
            _runtime_dir = runtime
            atexit.register(shutil.rmtree, runtime, ignore_errors=True)
        # If something imported argos before us, its settings came from the real environment: pin the ones
        # that decide whether package loading reaches for the network.
        settings.chunk_type = settings.ChunkType.STANZA
        settings.model_provider = settings.ModelProvider.OPENNMT
        settings.device = "cpu"
        # argostranslate.utils sets its logger to INFO and logs every text it translates: students' messages
        # must not end up in the server logs.
        logging.getLogger("argostranslate.utils").setLevel(logging.WARNING)
        return translate


@contextmanager
def argos_packages_dir(packages_dir: Path) -> Iterator[Any]:
    """Point argos's global install directory at `packages_dir` for the duration (serialised by a lock).

    `argostranslate.package.install_from_path` extracts into `settings.package_data_dir`, a process-wide value.
    """
    load_argos()
    from argostranslate import package, settings

    with _lock:
        previous = settings.package_data_dir
        settings.package_data_dir = packages_dir
        try:
            yield package
        finally:
            settings.package_data_dir = previous


@contextmanager
def _temporary_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
