"""UTC time helpers: stored datetimes are timezone-aware UTC (SQLModel's UTCDateTime on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """Serialise a datetime for clients as ISO 8601 UTC with a ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
