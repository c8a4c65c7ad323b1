"""Times for clients: ISO 8601 UTC with milliseconds and a Z, whatever time zone a datetime carries."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rooms.clock import iso


def _reference(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 12, 1, 4, 5, 6, 789_999, tzinfo=UTC), "2026-12-01T04:05:06.789Z"),
        (datetime(2026, 12, 1, 4, 5, 6, 999, tzinfo=UTC), "2026-12-01T04:05:06.000Z"),
        (datetime(2026, 12, 1, 4, 5, 7, tzinfo=UTC), "2026-12-01T04:05:07.000Z"),
        (datetime(2026, 12, 1, 6, 5, 7, 1000, tzinfo=timezone(timedelta(hours=2))), "2026-12-01T04:05:07.001Z"),
        (datetime(2026, 12, 1, 4, 5, 7, 1000), "2026-12-01T04:05:07.001Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "9999-12-31T23:59:59.999Z"),
    ],
    ids=["utc", "sub-millisecond", "next-second", "other-zone", "naive", "first-year", "last-moment"],
)
def test_iso_writes_utc_to_the_millisecond(value: datetime, text: str) -> None:
    assert iso(value) == text


def test_iso_of_times_in_any_order_matches_the_reference() -> None:
    """The text up to the second is kept from the last call: times out of order, a second apart or a year apart,
    must never get another second's text."""
    rng = random.Random(19)
    base = datetime(2026, 12, 1, tzinfo=UTC)
    offsets = [rng.randrange(0, 3_000_000) for _ in range(2_000)] + [rng.randrange(0, 10**14) for _ in range(2_000)]
    rng.shuffle(offsets)
    for offset in offsets:
        value = base + timedelta(microseconds=offset)
        assert iso(value) == _reference(value)
