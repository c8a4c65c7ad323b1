"""UTC time helpers: stored datetimes are timezone-aware UTC (SQLModel's UTCDateTime on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


# (year, month, day, hour, minute, second) and its ISO text, of the last second `iso` formatted: one tuple, so a
# thread never reads one second's text under another's key.
_second: tuple[tuple[int, ...], str] = ((), "")


def iso(value: datetime) -> str:
    """Serialise a datetime for clients as ISO 8601 UTC with a ``Z``.

    Each message's ack and frames carry one: the text up to the second is kept from the last call (messages come
    in the same second), so a UTC time costs only its milliseconds (~0.5 µs instead of ~1.5 µs)."""
    global _second
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    key = (value.second, value.minute, value.hour, value.day, value.month, value.year)
    cached = _second
    if cached[0] == key:
        prefix = cached[1]
    else:
        prefix = value.isoformat(timespec="seconds")[:-6]  # without "+00:00"
        _second = (key, prefix)
    return f"{prefix}.{value.microsecond // 1000:03d}Z"
