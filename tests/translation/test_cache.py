"""The memory LRU + database translation cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlmodel import Session, SQLModel, select

from app.db import make_engine
from translation.cache import TranslationCache, text_hash
from translation.models import Translation


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    """The cache's table on each supported database (PostgreSQL: a fresh schema of the real server)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cache.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine, tables=[Translation.__table__])  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


def test_cache_get_miss_then_put_then_hit() -> None:
    cache = TranslationCache(None)
    assert cache.get("Hello", "en", "es", "v1") is None
    cache.put("Hello", "en", "es", "v1", "Hola")
    assert cache.get("Hello", "en", "es", "v1") == "Hola"
    assert cache.peek("Hello", "en", "es", "v1") == "Hola"


@pytest.mark.parametrize(
    ("text", "source", "target", "version"),
    [
        ("Hello!", "en", "es", "v1"),
        ("Hello", "en", "fr", "v1"),
        ("Hello", "de", "es", "v1"),
        ("Hello", "en", "es", "v2"),
    ],
    ids=["other-text", "other-target", "other-source", "other-model-version"],
)
def test_cache_key_separates_entries(text: str, source: str, target: str, version: str) -> None:
    cache = TranslationCache(None)
    cache.put("Hello", "en", "es", "v1", "Hola")
    assert cache.get(text, source, target, version) is None


def test_cache_memory_evicts_least_recently_used() -> None:
    cache = TranslationCache(None, max_entries=2)
    cache.put("a", "en", "es", "v", "A")
    cache.put("b", "en", "es", "v", "B")
    assert cache.get("a", "en", "es", "v") == "A"  # refreshes "a": "b" is now the oldest
    cache.put("c", "en", "es", "v", "C")
    assert len(cache) == 2
    assert cache.get("b", "en", "es", "v") is None
    assert cache.get("a", "en", "es", "v") == "A"
    assert cache.get("c", "en", "es", "v") == "C"


def test_cache_database_round_trip_survives_restart(engine: sqlalchemy.Engine) -> None:
    TranslationCache(engine).put("Hello world", "en", "es", "v1", "Hola mundo")
    fresh = TranslationCache(engine)  # empty memory: must come from the table
    assert fresh.peek("Hello world", "en", "es", "v1") is None
    assert fresh.get("Hello world", "en", "es", "v1") == "Hola mundo"
    assert fresh.peek("Hello world", "en", "es", "v1") == "Hola mundo"  # promoted into memory
    with Session(engine) as session:
        row = session.exec(select(Translation)).one()
    assert row.text_hash == text_hash("Hello world")
    assert (row.source, row.target, row.model_version, row.translated_text) == ("en", "es", "v1", "Hola mundo")
    assert "Hello world" not in {row.text_hash, row.translated_text}  # the source text itself is not stored


def test_cache_database_duplicate_put_is_ignored(engine: sqlalchemy.Engine) -> None:
    TranslationCache(engine).put("Hello", "en", "es", "v1", "Hola")
    TranslationCache(engine).put("Hello", "en", "es", "v1", "Hola")  # another worker, same key
    with Session(engine) as session:
        assert len(session.exec(select(Translation)).all()) == 1


def test_cache_persists_many_in_one_go_skipping_stored_keys(engine: sqlalchemy.Engine) -> None:
    cache = TranslationCache(engine)
    cache.persist("Hello", "en", "es", "v1", "Hola")
    cache.persist_many([("Hello", "en", "es", "v1", "Hola"), ("world", "en", "es", "v1", "mundo"),
                        ("world", "en", "fr", "v1", "monde")])  # fmt: skip
    fresh = TranslationCache(engine)
    assert [fresh.get(t, "en", target, "v1") for t, target in (("Hello", "es"), ("world", "es"), ("world", "fr"))] == [
        "Hola", "mundo", "monde"
    ]  # fmt: skip
    with Session(engine) as session:
        assert len(session.exec(select(Translation)).all()) == 3


def test_cache_is_thread_safe(engine: sqlalchemy.Engine) -> None:
    cache = TranslationCache(engine, max_entries=50)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(40):
                cache.put(f"text {i}", "en", "es", "v", f"texto {i}")
                assert cache.get(f"text {i}", "en", "es", "v") == f"texto {i}"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) == 40
    with Session(engine) as session:
        assert len(session.exec(select(Translation)).all()) == 40


def test_cache_rejects_zero_entries() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        TranslationCache(None, max_entries=0)
