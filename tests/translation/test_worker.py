"""`bridgeway translation-worker`s on the real Redis: each job answered once, even when a worker dies mid-batch."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from app.db import make_engine
from app.demo import seed_demo
from app.main import create_app
from bench.translation_model import ModelShape, cached_packages, sentences
from tests.conftest import make_settings
from tests.support.students import paired_pair, send, until
from translation.base import TranslationBusy
from translation.remote import RedisTranslationQueue
from translation.streams import GROUP, JOBS, WORKERS

pytestmark = [pytest.mark.translation, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
# Random weights never emit their end token, so every sentence decodes the full 256 tokens: ~0.3 s a batch of 8 here,
# long enough to kill a worker while it holds a batch.
SLOW = ModelShape(layers=2, d_model=256, ffn=1024, heads=4, vocab=4_000)


@pytest.fixture(scope="module")
def slow_packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_packages(SLOW, tmp_path_factory.mktemp("model-cache"))


def start_worker(name: str, redis_url: str, packages: Path, **settings: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEWAY_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "BRIDGEWAY_TRANSLATION_QUEUE_URL": redis_url,
        "BRIDGEWAY_TRANSLATION_PACKAGES_DIR": str(packages),
        "BRIDGEWAY_TRANSLATION_BATCH_SIZE": "8",
        "BRIDGEWAY_TRANSLATION_CLAIM_SECONDS": "1",
        **settings,
    }
    return subprocess.Popen([sys.executable, "-m", "app.cli", "translation-worker", "--name", name], env=env, cwd=ROOT)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


async def until_workers(queue: RedisTranslationQueue, count: int) -> None:
    """Wait until `count` workers advertise their pairs (the queue re-reads the adverts every 0.2 s)."""
    for _ in range(300):
        if queue.workers >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{queue.workers} of {count} workers started")


def pending_of(client: redis.Redis, consumer: str) -> list[str]:
    rows = client.xpending_range(JOBS, GROUP, min="-", max="+", count=100, consumername=consumer)
    return [row["message_id"] for row in rows]


async def holding_a_batch(client: redis.Redis, consumer: str) -> None:
    """Wait until `consumer` has read jobs and stopped reading more for 0.1 s: it is translating them."""
    held, since = [], time.monotonic()
    async with asyncio.timeout(30):
        while not held or time.monotonic() - since < 0.1:
            now = pending_of(client, consumer)
            if now != held:
                held, since = now, time.monotonic()
            await asyncio.sleep(0.005)


async def test_worker_killed_mid_batch_every_translation_arrives_once(
    redis_url: str, slow_packs: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    queue = RedisTranslationQueue(redis_url, max_queue=100, refresh=0.2)
    await queue.start()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        workers += [start_worker(name, redis_url, slow_packs) for name in ("w-doomed", "w-survivor")]
        await until_workers(queue, 2)
        assert queue.available_pairs() == {("en", "es"), ("es", "en")}
        texts = sentences(SLOW, 24)
        futures = [queue.submit(text, "en", "es", time.time() + 60) for text in texts]
        await holding_a_batch(client, "w-doomed")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        assert pending_of(client, "w-doomed"), "the worker finished its batch before it was killed"
        answers = await asyncio.wait_for(asyncio.gather(*(asyncio.wrap_future(f) for f in futures)), 60)
        assert all(answers)
        assert queue.stale_answers == 0  # no job was answered twice
        assert pending_of(client, "w-doomed") == []  # the survivor claimed what the dead worker held
        assert client.xlen(JOBS) == 0
        assert queue.pending == 0
    finally:
        client.close()
        await queue.aclose()


async def test_queue_is_bounded_and_says_busy(redis_url: str) -> None:
    queue = RedisTranslationQueue(redis_url, max_queue=2)
    await queue.start()
    try:
        first = queue.submit("one", "en", "es", time.time() + 5)
        queue.submit("two", "en", "es", time.time() + 5)
        with pytest.raises(TranslationBusy):
            queue.submit("three", "en", "es", time.time() + 5)
        first.cancel()  # a job given up on frees its place
        queue.submit("three", "en", "es", time.time() + 5)
        assert queue.pending == 2
        assert not queue.can_translate("en", "es")  # no worker advertises anything
    finally:
        await queue.aclose()


def test_rooms_get_translations_from_a_worker_process(
    redis_url: str, tmp_path: Path, migrated_template: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    from translation.tinymodel import install_demo_packages

    packs = tmp_path / "argos-packages"
    install_demo_packages(packs)
    workers.append(start_worker("w-demo", redis_url, packs))
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    for _ in range(300):  # the chat server reads the adverts when it starts
        if client.hexists(WORKERS, "w-demo"):
            break
        time.sleep(0.1)
    client.close()
    shutil.copy(migrated_template, tmp_path / "bridgeway.db")
    settings = make_settings(tmp_path, translation_backend="argos", translation_queue_url=redis_url)
    seed = make_engine(settings.database_url)
    seed_demo(seed, settings)
    seed.dispose()
    with TestClient(create_app(settings)) as app_client, paired_pair(app_client) as (a, b, room, _alice, _bruno):
        send(a, "w1", "Hello world")
        original = until(b, "message")
        translated = until(b, "translation")
        welcome_languages = app_client.app.state.services.translator.languages()
    assert welcome_languages == {"en", "es", "fr"}  # the pairs the worker advertises
    assert original["text"] == "Hello world"
    assert (translated["id"], translated["room"], translated["text"]) == (original["id"], room, "Hola mundo")


async def test_jobs_nobody_took_are_trimmed_instead_of_piling_up(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    stale_id = f"{int((time.time() - 400) * 1000)}-0"  # a job from 400 s ago, no worker running since
    client.xadd(
        JOBS, {"id": "old", "reply": "r", "text": "t", "source": "en", "target": "es", "deadline": "0"}, stale_id
    )
    queue = RedisTranslationQueue(redis_url)
    await queue.start()
    try:
        queue.submit("hello", "en", "es", time.time() + 5)
        for _ in range(100):
            entries = client.xrange(JOBS)
            if any(fields["text"] == "hello" for _, fields in entries):
                break
            await asyncio.sleep(0.02)
        assert [fields["text"] for _, fields in client.xrange(JOBS)] == ["hello"]
    finally:
        client.close()
        await queue.aclose()
