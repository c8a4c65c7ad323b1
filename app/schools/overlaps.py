"""Weekly windows as concrete UTC intervals per date (DST-correct), their overlaps, and each side's clock on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.schools.availability import WEEKDAYS, holiday_ranges, zone


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def weekly_intervals(
    windows: Iterable[dict[str, Any]], tz: str, horizon: Interval, holidays: Iterable[Sequence[str]] = ()
) -> list[Interval]:
    """The concrete UTC intervals of weekly local windows inside ``horizon``, skipping holiday dates.

    Each local date is converted on its own with zoneinfo, so a window keeps its local wall-clock time across
    daylight-saving changes (its UTC time moves instead). A window whose end is not after its start runs past
    local midnight. A window counts as on holiday when the local date it starts on is a holiday.
    """
    place = zone(tz)
    off = holiday_ranges(holidays)
    parsed = [(int(w["weekday"]), time.fromisoformat(w["start"]), time.fromisoformat(w["end"])) for w in windows]
    first = horizon.start.astimezone(place).date() - timedelta(days=1)
    last = horizon.end.astimezone(place).date()
    result: list[Interval] = []
    day = first
    while day <= last:
        if not any(lo <= day <= hi for lo, hi in off):
            for weekday, start, end in parsed:
                if weekday != day.weekday():
                    continue
                end_day = day if end > start else day + timedelta(days=1)
                begin = datetime.combine(day, start, tzinfo=place).astimezone(UTC)
                finish = datetime.combine(end_day, end, tzinfo=place).astimezone(UTC)
                clipped = Interval(max(begin, horizon.start), min(finish, horizon.end))
                if clipped.start < clipped.end:
                    result.append(clipped)
        day += timedelta(days=1)
    return merge(result)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join touching or overlapping intervals."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, item.end)
        else:
            merged.append(item)
    return merged


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The intersection of two sorted, merged interval lists (a linear two-pointer walk)."""
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            result.append(Interval(start, end))
        if a[i].end <= b[j].end:
            i += 1
        else:
            j += 1
    return result


@dataclass(frozen=True, slots=True)
class Slot:
    """A recurring overlap as each side sees it on its own clock, with how often and when it occurs."""

    local_a: str
    local_b: str
    occurrences: int
    first: date
    last: date
    minutes: int


def _clock(moment: datetime, place: ZoneInfo) -> datetime:
    return moment.astimezone(place)


def summarise(overlaps: Iterable[Interval], tz_a: str, tz_b: str) -> list[Slot]:
    """Group concrete overlaps by their local weekday and times on both sides (DST shows up as separate slots)."""
    zone_a, zone_b = zone(tz_a), zone(tz_b)
    groups: dict[tuple[str, str], list[Interval]] = {}
    for item in overlaps:
        a0, a1 = _clock(item.start, zone_a), _clock(item.end, zone_a)
        b0, b1 = _clock(item.start, zone_b), _clock(item.end, zone_b)
        key = (
            f"{WEEKDAYS[a0.weekday()]} {a0:%H:%M}-{a1:%H:%M}",
            f"{WEEKDAYS[b0.weekday()]} {b0:%H:%M}-{b1:%H:%M}",
        )
        groups.setdefault(key, []).append(item)
    slots = [
        Slot(
            key[0],
            key[1],
            len(items),
            items[0].start.astimezone(zone_a).date(),
            items[-1].start.astimezone(zone_a).date(),
            items[0].minutes,
        )
        for key, items in groups.items()
    ]
    return sorted(slots, key=lambda s: (s.first, s.local_a))


def next_weeks(start: datetime, weeks: int) -> Interval:
    """The horizon from ``start`` (aware) for ``weeks`` weeks."""
    return Interval(start.astimezone(UTC), start.astimezone(UTC) + timedelta(weeks=weeks))
