"""Two-level translation cache: an in-memory LRU in front of the `Translation` table."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from translation.models import Translation

logger = logging.getLogger(__name__)

_Key = tuple[str, str, str, str]


def text_hash(text: str) -> str:
    """SHA-256 hex digest of the text: the cache key, so messages are not stored twice in clear."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def delete_translations(session: Session, hashes: Iterable[str]) -> int:
    """Delete the stored translations of these source-text hashes in the caller's transaction; returns the count.

    Erasing or purging a message must take its translations with it: the table holds translated text, found
    only through the hash of the source text, so callers hash every text the message ever had.
    """
    wanted = sorted(set(hashes))
    if not wanted:
        return 0
    result = session.execute(delete(Translation).where(col(Translation.text_hash).in_(wanted)))
    return int(result.rowcount)  # type: ignore[attr-defined]


class TranslationCache:
    """Translations keyed by (text, source, target, model_version); thread-safe; `get`/`put` block on the DB.

    Memory holds the `max_entries` most recently used; with an `engine`, entries also persist in the
    `Translation` table, so a restart or a second worker does not pay for the same translation again.
    A new model version simply misses: old rows stay until pruned.
    """

    def __init__(self, engine: sqlalchemy.Engine | None, max_entries: int = 10000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._engine = engine
        self._max_entries = max_entries
        self._memory: OrderedDict[_Key, str] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, text: str, source: str, target: str, model_version: str) -> str | None:
        """Memory-only lookup: never blocks on I/O, so it is safe on the event loop."""
        return self._remember((text_hash(text), source, target, model_version), None)

    def get(self, text: str, source: str, target: str, model_version: str) -> str | None:
        """The cached translation, from memory or else the database; None on a miss."""
        key = (text_hash(text), source, target, model_version)
        found = self._remember(key, None)
        if found is not None or self._engine is None:
            return found
        statement = select(Translation.translated_text).where(
            Translation.text_hash == key[0],
            Translation.source == source,
            Translation.target == target,
            Translation.model_version == model_version,
        )
        with Session(self._engine) as session:
            row = session.exec(statement).first()
        if row is not None:
            self._remember(key, row)
        return row

    @property
    def persistent(self) -> bool:
        """Whether `get` and `persist` reach the database (and so must not run on the event loop)."""
        return self._engine is not None

    def put(self, text: str, source: str, target: str, model_version: str, translated: str) -> None:
        """Store a translation in memory and, with an engine, in the database (a concurrent duplicate is fine)."""
        self.remember(text, source, target, model_version, translated)
        self.persist(text, source, target, model_version, translated)

    def remember(self, text: str, source: str, target: str, model_version: str, translated: str) -> None:
        """Store in memory only: never blocks on I/O, so it is safe on the event loop."""
        self._remember((text_hash(text), source, target, model_version), translated)

    def persist(self, text: str, source: str, target: str, model_version: str, translated: str) -> None:
        """Store in the database only (no-op without an engine); blocks."""
        self.persist_many([(text, source, target, model_version, translated)])

    def persist_many(self, entries: Sequence[tuple[str, str, str, str, str]]) -> None:
        """Store (text, source, target, model_version, translated) entries in one transaction; blocks.

        One commit for many translations: the chat's message writer shares the database (SQLite's one writer), so
        a commit per translation would queue the chat's commits behind them. Keys already stored (another process
        translated the same text) are skipped.
        """
        if self._engine is None or not entries:
            return
        rows = [
            {"text_hash": text_hash(text), "source": source, "target": target, "model_version": version,
             "translated_text": translated, "created_at": datetime.now(UTC)}
            for text, source, target, version, translated in entries
        ]  # fmt: skip
        # Bridgeway runs on SQLite or PostgreSQL; both skip an existing key with ON CONFLICT DO NOTHING.
        insert = sqlite_insert if self._engine.dialect.name == "sqlite" else postgresql_insert
        with self._engine.begin() as conn:
            conn.execute(insert(Translation).on_conflict_do_nothing(), rows)

    def forget(self, hashes: Iterable[str]) -> None:
        """Drop the memory entries of these source-text hashes (erased or purged messages); the rows go separately."""
        wanted = set(hashes)
        with self._lock:
            for key in [k for k in self._memory if k[0] in wanted]:
                del self._memory[key]

    def __len__(self) -> int:
        """Entries held in memory."""
        with self._lock:
            return len(self._memory)

    def _remember(self, key: _Key, value: str | None) -> str | None:
        # With a value: insert as most recent (evicting the least recent). Without: look up and refresh.
        with self._lock:
            if value is None:
                found = self._memory.get(key)
                if found is not None:
                    self._memory.move_to_end(key)
                return found
            self._memory[key] = value
            self._memory.move_to_end(key)
            while len(self._memory) > self._max_entries:
                self._memory.popitem(last=False)
            return value
