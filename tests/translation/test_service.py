"""The async translation service: per-language jobs, cache, bounded pool, timeout and busy handling."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlmodel import SQLModel

from tests.translation.translators import BrokenTranslator, CountingTranslator, GatedTranslator
from translation.argos import ArgosTranslator
from translation.base import LanguagePair
from translation.cache import TranslationCache
from translation.models import Translation
from translation.service import TranslationResult, TranslationService

pytestmark = pytest.mark.translation


@pytest.fixture
async def service(argos_translator: ArgosTranslator) -> AsyncIterator[TranslationService]:
    service = TranslationService(CountingTranslator(argos_translator), TranslationCache(None))
    service.start()
    yield service
    await service.aclose()


def _calls(service: TranslationService) -> Counter[LanguagePair]:
    assert isinstance(service.translator, CountingTranslator)
    return service.translator.calls


async def test_translate_once_per_target_language(service: TranslationService) -> None:
    # Five recipients, three languages: es and en are translated once each, en->en is passed through.
    results = await service.translate("Hello world", "en", ["es", "es", "en", "es", "fr"])
    assert results == {
        "es": TranslationResult("es", "Hola mundo"),
        "en": TranslationResult("en", "Hello world"),
        "fr": TranslationResult("fr", None, "unavailable"),
    }
    assert _calls(service) == Counter({("en", "es"): 1})


async def test_translate_pivot_target(service: TranslationService) -> None:
    results = await service.translate("Bonjour mon ami", "fr", ["es", "en"])
    assert results["es"] == TranslationResult("es", "Hola mon amigo")
    assert results["en"] == TranslationResult("en", "Hello mon friend")


async def test_translate_repeat_is_served_from_cache(service: TranslationService) -> None:
    first = await service.translate("Thanks, friend!", "en", ["es"])
    second = await service.translate("Thanks, friend!", "en", ["es"])
    assert first["es"] == TranslationResult("es", "Gracias, amigo!", cached=False)
    assert second["es"] == TranslationResult("es", "Gracias, amigo!", cached=True)
    assert _calls(service) == Counter({("en", "es"): 1})


async def test_translate_uses_database_cache_across_services(tmp_path: Path, argos_translator: ArgosTranslator) -> None:
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    SQLModel.metadata.create_all(engine, tables=[Translation.__table__])  # type: ignore[attr-defined]
    try:
        counters = []
        for _ in range(2):  # e.g. an app restart: fresh memory, same database
            translator = CountingTranslator(argos_translator)
            service = TranslationService(translator, TranslationCache(engine))
            results = await service.translate("Good morning", "en", ["es"])
            await service.aclose()
            assert results["es"].text == "Bueno mañana"
            counters.append((translator.calls[("en", "es")], results["es"].cached))
        assert counters == [(1, False), (0, True)]
    finally:
        engine.dispose()


async def test_translate_missing_pair_is_unavailable(service: TranslationService) -> None:
    assert await service.translate("Hola", "es", ["fr"]) == {"fr": TranslationResult("fr", None, "unavailable")}
    assert _calls(service) == Counter()


async def test_translate_slow_model_times_out_without_blocking(argos_translator: ArgosTranslator) -> None:
    translator = GatedTranslator(argos_translator)
    service = TranslationService(translator, TranslationCache(None), timeout=0.2)
    try:
        started = time.perf_counter()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        results = await service.translate("Hello", "en", ["es"])
        ticking.cancel()
        assert results == {"es": TranslationResult("es", None, "timeout")}
        assert 0.2 <= time.perf_counter() - started < 2
        assert ticks >= 5  # the event loop kept running while the model was stuck (10 on an idle machine)
    finally:
        translator.release.set()
        await service.aclose()


async def test_translate_rejects_when_queue_full(argos_translator: ArgosTranslator) -> None:
    translator = GatedTranslator(argos_translator)
    service = TranslationService(translator, TranslationCache(None), workers=1, max_queue=2, timeout=10)
    try:
        first = asyncio.create_task(service.translate("Hello", "en", ["es"]))
        second = asyncio.create_task(service.translate("world", "en", ["es"]))
        await asyncio.to_thread(translator.entered.acquire, timeout=5)  # one running, one queued
        await asyncio.sleep(0)
        assert service.pending == 2
        started = time.perf_counter()
        assert await service.translate("friend", "en", ["es"]) == {"es": TranslationResult("es", None, "busy")}
        assert time.perf_counter() - started < 0.5  # rejected at once, not queued
        translator.release.set()
        assert (await first)["es"].text == "Hola"
        assert (await second)["es"].text == "mundo"
        assert service.pending == 0
        assert (await service.translate("friend", "en", ["es"]))["es"].text == "amigo"
    finally:
        translator.release.set()
        await service.aclose()


async def test_translate_timed_out_queued_job_frees_its_slot(argos_translator: ArgosTranslator) -> None:
    translator = GatedTranslator(argos_translator)
    service = TranslationService(translator, TranslationCache(None), workers=1, max_queue=2, timeout=0.2, batch_size=1)
    try:
        results = await asyncio.gather(
            service.translate("Hello", "en", ["es"]), service.translate("world", "en", ["es"])
        )
        assert [r["es"].error for r in results] == ["timeout", "timeout"]
        assert service.pending == 1  # the queued job was cancelled; the running one is still in its thread
    finally:
        translator.release.set()
        await service.aclose()


async def test_translate_model_failure_is_failed(argos_translator: ArgosTranslator) -> None:
    service = TranslationService(BrokenTranslator(argos_translator), TranslationCache(None))
    try:
        assert await service.translate("Hello", "en", ["es", "en"]) == {
            "es": TranslationResult("es", None, "failed"),
            "en": TranslationResult("en", "Hello"),
        }
    finally:
        await service.aclose()


async def test_languages_lists_installed_languages(service: TranslationService) -> None:
    assert service.languages() == {"en", "es", "fr"}


async def test_translate_after_close_raises(service: TranslationService) -> None:
    await service.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await service.translate("Hello", "en", ["es"])


@pytest.mark.parametrize(
    "kwargs", [{"workers": 0}, {"max_queue": 0}, {"timeout": 0.0}], ids=["no-workers", "no-queue", "no-timeout"]
)
def test_service_rejects_bad_limits(argos_translator: ArgosTranslator, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="workers"):
        TranslationService(argos_translator, TranslationCache(None), **kwargs)  # type: ignore[arg-type]
