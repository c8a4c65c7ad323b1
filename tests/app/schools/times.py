"""Times the availability tests share: UTC moments and weekday windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.schools.overlaps import Interval


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekdays(start: str, end: str) -> list[dict[str, Any]]:
    return [{"weekday": d, "start": start, "end": end} for d in range(5)]


def days(first: date, count: int) -> Interval:
    """The horizon of ``count`` whole UTC days from ``first``."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return Interval(start, start + timedelta(days=count))
