"""Weekly windows as UTC intervals across DST changes, their overlaps, and each side's clock on them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.schools.availability import zone
from app.schools.overlaps import Interval, intersect, merge, next_weeks, summarise, weekly_intervals
from tests.app.schools.times import days, utc, weekdays


def overlap_by_local_date(
    a: tuple[list[dict[str, Any]], str], b: tuple[list[dict[str, Any]], str], horizon: Interval
) -> dict[str, int]:
    """Overlap minutes per local date on side a."""
    found = intersect(weekly_intervals(a[0], a[1], horizon), weekly_intervals(b[0], b[1], horizon))
    result: dict[str, int] = {}
    for item in found:
        key = item.start.astimezone(zone(a[1])).date().isoformat()
        result[key] = result.get(key, 0) + item.minutes
    return result


def test_weekly_intervals_keep_local_time_across_the_uk_clock_change() -> None:
    """Mon 09:00 London is 09:00 UTC before 29 March 2026 and 08:00 UTC after it."""
    windows = [{"weekday": 0, "start": "09:00", "end": "10:00"}]
    found = weekly_intervals(windows, "Europe/London", days(date(2026, 3, 23), 14))
    assert found == [
        Interval(utc(2026, 3, 23, 9), utc(2026, 3, 23, 10)),
        Interval(utc(2026, 3, 30, 8), utc(2026, 3, 30, 9)),
    ]


def test_weekly_intervals_run_past_local_midnight() -> None:
    windows = [{"weekday": 4, "start": "22:00", "end": "01:00"}]
    found = weekly_intervals(windows, "Europe/Madrid", days(date(2026, 11, 27), 2))
    assert found == [Interval(utc(2026, 11, 27, 21), utc(2026, 11, 28, 0))]


def test_weekly_intervals_skip_holidays_and_clip_to_the_horizon() -> None:
    horizon = Interval(utc(2026, 12, 7, 9, 30), utc(2026, 12, 12))
    found = weekly_intervals(weekdays("09:00", "10:00"), "Europe/London", horizon, [["2026-12-09", "2026-12-10"]])
    assert found == [
        Interval(utc(2026, 12, 7, 9, 30), utc(2026, 12, 7, 10)),
        Interval(utc(2026, 12, 8, 9), utc(2026, 12, 8, 10)),
        Interval(utc(2026, 12, 11, 9), utc(2026, 12, 11, 10)),
    ]


LONDON = (weekdays("14:00", "16:00"), "Europe/London")


NEW_YORK = (weekdays("09:00", "11:00"), "America/New_York")


@pytest.mark.parametrize(
    ("monday", "minutes"),
    [
        (date(2026, 3, 2), 120),  # both on standard time: 5 hours apart, NY 09-11 = London 14-16
        (date(2026, 3, 16), 60),  # US switched on 8 March, UK not yet: 4 hours apart, NY 09-11 = London 13-15
        (date(2026, 3, 30), 120),  # UK switched on 29 March too
        (date(2026, 10, 26), 60),  # UK back on 25 October, US only on 1 November
        (date(2026, 11, 2), 120),
    ],
    ids=["both-standard", "only-us-summer-march", "both-summer", "only-us-summer-october", "both-standard-again"],
)
def test_overlap_london_new_york_when_only_one_side_changed_clocks(monday: date, minutes: int) -> None:
    per_day = overlap_by_local_date(LONDON, NEW_YORK, days(monday, 5))
    assert per_day == {(monday + timedelta(days=d)).isoformat(): minutes for d in range(5)}


@pytest.mark.parametrize(
    ("monday", "minutes"),
    [
        (date(2026, 3, 23), 60),  # AEDT +11 / CET +1: Sydney 17-19 = Madrid 07-09
        (date(2026, 3, 30), 120),  # Madrid on CEST +2 since 29 March: Madrid 08-10
        (date(2026, 4, 6), 60),  # Sydney back to AEST +10 on 5 April: Madrid 09-11
    ],
    ids=["before-both", "madrid-summer-sydney-summer", "sydney-winter-madrid-summer"],
)
def test_overlap_sydney_madrid_across_opposite_seasons(monday: date, minutes: int) -> None:
    sydney = ([{"weekday": 0, "start": "17:00", "end": "19:00"}], "Australia/Sydney")
    madrid = ([{"weekday": 0, "start": "08:00", "end": "10:00"}], "Europe/Madrid")
    per_day = overlap_by_local_date(madrid, sydney, days(monday - timedelta(days=1), 3))
    assert per_day == {monday.isoformat(): minutes}


def test_overlap_across_midnight_utc_is_shown_on_each_local_clock() -> None:
    """LA Mon 15:00-17:00 (23:00-01:00 UTC) meets Tokyo Tue 08:00-09:30 (23:00-00:30 UTC)."""
    los_angeles = [{"weekday": 0, "start": "15:00", "end": "17:00"}]
    tokyo = [{"weekday": 1, "start": "08:00", "end": "09:30"}]
    horizon = days(date(2026, 11, 30), 7)
    found = intersect(
        weekly_intervals(los_angeles, "America/Los_Angeles", horizon), weekly_intervals(tokyo, "Asia/Tokyo", horizon)
    )
    assert found == [Interval(utc(2026, 11, 30, 23), utc(2026, 12, 1, 0, 30))]
    [slot] = summarise(found, "America/Los_Angeles", "Asia/Tokyo")
    assert (slot.local_a, slot.local_b, slot.minutes) == ("Mon 15:00-16:30", "Tue 08:00-09:30", 90)


def test_summarise_shows_the_dst_shift_as_separate_slots() -> None:
    found = intersect(
        weekly_intervals(*LONDON, days(date(2026, 3, 2), 28)), weekly_intervals(*NEW_YORK, days(date(2026, 3, 2), 28))
    )
    mondays = [
        (s.local_a, s.local_b, s.occurrences, s.first.isoformat(), s.last.isoformat())
        for s in summarise(found, "Europe/London", "America/New_York")
        if s.local_a.startswith("Mon")
    ]
    assert mondays == [
        ("Mon 14:00-16:00", "Mon 09:00-11:00", 1, "2026-03-02", "2026-03-02"),  # both on standard time
        ("Mon 14:00-15:00", "Mon 10:00-11:00", 3, "2026-03-09", "2026-03-23"),  # only New York on summer time
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([(0, 60), (120, 180)], [(30, 150)], [(30, 60), (120, 150)]),
        ([(0, 60)], [(60, 120)], []),
        ([], [(0, 10)], []),
        ([(0, 100)], [(10, 20), (30, 40)], [(10, 20), (30, 40)]),
    ],
    ids=["straddle", "touching-is-not-overlap", "empty", "contained"],
)
def test_intersect_of_sorted_lists(
    a: list[tuple[int, int]], b: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    base = utc(2026, 1, 1)

    def intervals(pairs: list[tuple[int, int]]) -> list[Interval]:
        return [Interval(base + timedelta(minutes=x), base + timedelta(minutes=y)) for x, y in pairs]

    assert intersect(intervals(a), intervals(b)) == intervals(expected)


def test_merge_joins_touching_and_overlapping_intervals() -> None:
    base = utc(2026, 1, 1)
    parts = [
        Interval(base + timedelta(minutes=m), base + timedelta(minutes=n))
        for m, n in [(30, 60), (0, 30), (50, 90), (100, 110)]
    ]
    assert merge(parts) == [
        Interval(base, base + timedelta(minutes=90)),
        Interval(base + timedelta(minutes=100), base + timedelta(minutes=110)),
    ]


def test_next_weeks_spans_whole_weeks_from_the_start() -> None:
    horizon = next_weeks(utc(2026, 3, 1, 12), 4)
    assert (horizon.start, horizon.end) == (utc(2026, 3, 1, 12), utc(2026, 3, 29, 12))
