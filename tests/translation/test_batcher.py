"""MicroBatcher: jobs from many rooms share one model call, bounded queue, deadlines, one bad text fails alone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import wait

import pytest

from tests.translation.translators import GatedTranslator
from translation.argos import ArgosTranslator
from translation.base import TranslationBusy, TranslationError, TranslationTimeout
from translation.batcher import MicroBatcher

pytestmark = pytest.mark.translation
LATER = 3600.0


@pytest.fixture
def recording(argos_translator: ArgosTranslator) -> GatedTranslator:
    """The tiny model, released (translating at once) until a test holds it with `release.clear()`."""
    translator = GatedTranslator(argos_translator)
    translator.release.set()
    return translator


@pytest.fixture
def batcher(recording: GatedTranslator) -> Iterator[MicroBatcher]:
    batcher = MicroBatcher(recording, workers=1, max_queue=8, batch_size=4, batch_wait=0.05)
    yield batcher
    recording.release.set()
    asyncio.run(batcher.aclose())


def test_jobs_from_many_rooms_share_one_model_call(batcher: MicroBatcher, recording: GatedTranslator) -> None:
    futures = [batcher.submit(text, "en", "es", time.time() + LATER) for text in ("Hello", "world", "friend")]
    assert [f.result(5) for f in futures] == ["Hola", "mundo", "amigo"]
    assert recording.batches == [(("en", "es"), 3)]


def test_a_batch_holds_at_most_batch_size_and_pairs_are_never_mixed(
    batcher: MicroBatcher, recording: GatedTranslator
) -> None:
    recording.release.clear()
    first = batcher.submit("Hello", "en", "es", time.time() + LATER)
    assert recording.entered.acquire(timeout=5)  # one job in the model: the rest queue up behind it
    rest = [batcher.submit(f"world {n}", "en", "es", time.time() + LATER) for n in range(5)]
    rest.append(batcher.submit("Hola", "es", "en", time.time() + LATER))
    recording.release.set()
    wait([first, *rest], timeout=10)
    assert [f.result() for f in rest] == [*(f"mundo {n}" for n in range(5)), "Hello"]
    assert recording.batches == [(("en", "es"), 1), (("en", "es"), 4), (("en", "es"), 1), (("es", "en"), 1)]


def test_a_lone_job_waits_only_batch_wait(batcher: MicroBatcher) -> None:
    started = time.perf_counter()
    assert batcher.submit("Hello", "en", "es", time.time() + LATER).result(5) == "Hola"
    assert time.perf_counter() - started < 0.05 + 0.5


def test_full_queue_is_busy_and_a_cancelled_job_frees_its_place(
    batcher: MicroBatcher, recording: GatedTranslator
) -> None:
    recording.release.clear()
    running = batcher.submit("Hello", "en", "es", time.time() + LATER)
    assert recording.entered.acquire(timeout=5)
    queued = [batcher.submit(f"world {n}", "en", "es", time.time() + LATER) for n in range(7)]
    assert batcher.pending == 8
    with pytest.raises(TranslationBusy):
        batcher.submit("one too many", "en", "es", time.time() + LATER)
    assert queued[0].cancel()
    assert batcher.pending == 7
    late = batcher.submit("friend", "en", "es", time.time() + LATER)
    recording.release.set()
    assert late.result(5) == "amigo"
    assert running.result(5) == "Hola"
    assert batcher.pending == 0


def test_job_past_its_deadline_is_dropped_untranslated(batcher: MicroBatcher, recording: GatedTranslator) -> None:
    recording.release.clear()
    batcher.submit("Hello", "en", "es", time.time() + LATER)
    assert recording.entered.acquire(timeout=5)
    stale = batcher.submit("world", "en", "es", time.time() + 0.01)
    time.sleep(0.05)
    recording.release.set()
    with pytest.raises(TranslationTimeout):
        stale.result(5)
    assert recording.batches == [(("en", "es"), 1)]


def test_one_overlong_text_fails_alone(batcher: MicroBatcher, recording: GatedTranslator) -> None:
    # The tiny model supports 256 tokens: CTranslate2 rejects the whole batch, which is then retried text by text.
    texts = ["Hello", "x " * 300, "world"]
    futures = [batcher.submit(text, "en", "es", time.time() + LATER) for text in texts]
    assert futures[0].result(5) == "Hola"
    assert futures[2].result(5) == "mundo"
    with pytest.raises(TranslationError, match="en->es"):
        futures[1].result(5)
    assert recording.batches == [(("en", "es"), 3), *[(("en", "es"), 1)] * 3]


def test_queue_refuses_while_the_oldest_job_waited_too_long(recording: GatedTranslator) -> None:
    batcher = MicroBatcher(recording, workers=1, max_queue=100, batch_size=1, batch_wait=0, max_wait=0.1)
    try:
        recording.release.clear()
        batcher.submit("Hello", "en", "es", time.time() + LATER)
        assert recording.entered.acquire(timeout=5)
        waiting = batcher.submit("world", "en", "es", time.time() + LATER)
        batcher.submit("friend", "en", "es", time.time() + LATER)  # the oldest waited < 0.1 s: still taken
        time.sleep(0.15)
        with pytest.raises(TranslationBusy, match="waited"):
            batcher.submit("school", "en", "es", time.time() + LATER)
        recording.release.set()
        assert waiting.result(5) == "mundo"
        assert batcher.submit("school", "en", "es", time.time() + LATER).result(5) == "escuela"  # drained: taken
    finally:
        recording.release.set()
        asyncio.run(batcher.aclose())
