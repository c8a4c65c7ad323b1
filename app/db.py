"""Engine construction from the configured URL (SQLite pragmas, PostgreSQL driver, clear errors)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import create_engine

from app.settings import SettingsError
from rooms.database import Database


def make_engine(database_url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise SettingsError(f"malformed database URL: {database_url!r}") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            private_sqlite_file(Path(url.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    try:
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": 5}
        )
    except NoSuchModuleError:
        raise SettingsError(f"unsupported database URL scheme: {url.drivername!r}") from None


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 (in a new 0700 directory) before SQLite opens it, and tighten an old one.

    SQLite creates the -wal and -shm files with the database file's permissions, so they follow. Any local
    user could otherwise read every chat from a 0644 database.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if existing.exists() and existing.stat().st_mode & 0o077:
            existing.chmod(0o600)


def open_database(database_url: str) -> Database:
    return Database(make_engine(database_url))
