"""Weekly availability across time zones: parsing (app.schools.availability), concrete UTC intervals across DST
changes and overlaps (app.schools.overlaps), partner ranking (app.schools.partner_fit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.schools.availability import AvailabilityError, parse_age_band, parse_holidays, parse_windows, zone
from app.schools.overlaps import Interval, intersect, merge, next_weeks, summarise, weekly_intervals
from app.schools.partner_fit import ClassProfile, age_fit, language_fit, match, rank


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def days(first: date, count: int) -> Interval:
    """The horizon of ``count`` whole UTC days from ``first``."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return Interval(start, start + timedelta(days=count))


def weekdays(start: str, end: str) -> list[dict[str, Any]]:
    return [{"weekday": d, "start": start, "end": end} for d in range(5)]


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon 09:00-15:00", [{"weekday": 0, "start": "09:00", "end": "15:00"}]),
        (
            "tuesday 9:30 - 10:45\n\n  Sun 22:00-01:00  ",
            [{"weekday": 1, "start": "09:30", "end": "10:45"}, {"weekday": 6, "start": "22:00", "end": "01:00"}],
        ),
        ("Fri 23:00-24:00", [{"weekday": 4, "start": "23:00", "end": "00:00"}]),
        ("", []),
    ],
    ids=["one", "several-blank-lines-past-midnight", "until-24:00", "empty"],
)
def test_parse_windows_accepts_weekday_and_times(text: str, expected: list[dict[str, Any]]) -> None:
    assert parse_windows(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Monday", "Line 1"),
        ("Xyz 09:00-10:00", "weekday"),
        ("Mon 25:00-26:00", "not a time of day"),
        ("Mon 09:60-10:00", "not a time of day"),
        ("Mon 09:00-09:00", "empty"),
        ("Mon 09:00-10:00\nTue nine-ten", "Line 2"),
    ],
    ids=["no-times", "bad-weekday", "bad-hour", "bad-minute", "empty-window", "second-line"],
)
def test_parse_windows_rejects_with_the_line(text: str, message: str) -> None:
    with pytest.raises(AvailabilityError, match=message):
        parse_windows(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24", [["2026-12-24", "2026-12-24"]]),
        (
            "2026-12-21 to 2027-01-04\n2027-04-01..2027-04-05",
            [["2026-12-21", "2027-01-04"], ["2027-04-01", "2027-04-05"]],
        ),
    ],
    ids=["single-day", "ranges"],
)
def test_parse_holidays_accepts_dates_and_ranges(text: str, expected: list[list[str]]) -> None:
    assert parse_holidays(text) == expected


@pytest.mark.parametrize(
    "text", ["christmas", "2026-02-30", "2027-01-04 to 2026-12-21"], ids=["words", "no-such-date", "backwards"]
)
def test_parse_holidays_rejects_what_is_not_a_date_range(text: str) -> None:
    with pytest.raises(AvailabilityError):
        parse_holidays(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("13-15", (13, 15)), (" 14 ", (14, 14)), ("9 - 11", (9, 11))],
    ids=["range", "single", "spaces"],
)
def test_parse_age_band_reads_ranges(text: str, expected: tuple[int, int]) -> None:
    assert parse_age_band(text) == expected


@pytest.mark.parametrize("text", ["15-13", "teen", "2-4", "13-150"], ids=["backwards", "words", "too-young", "too-old"])
def test_parse_age_band_rejects_nonsense(text: str) -> None:
    with pytest.raises(AvailabilityError):
        parse_age_band(text)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "../../etc/passwd", "", "europe/london"], ids=["unknown", "path", "empty", "case"]
)
def test_zone_rejects_unknown_names(name: str) -> None:
    with pytest.raises(AvailabilityError, match="Unknown time zone"):
        zone(name)


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


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("13-15", "13-15", 1.0), ("13-15", "15-17", 1 / 3), ("12-13", "14-15", 0.0), ("14", "13-16", 0.25)],
    ids=["same", "one-year", "disjoint", "single-in-range"],
)
def test_age_fit(a: str, b: str, expected: float) -> None:
    assert age_fit(a, b) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["en"], ["en"], (2, ("en",), False)),
        (["en"], ["es"], (1, (), True)),
        (["en", "es"], ["es", "fr"], (3, ("es",), True)),
        (["en", "es"], ["en"], (2, ("en",), False)),
        ([], ["en"], (0, (), False)),
    ],
    ids=["shared", "tandem", "shared-and-tandem", "subset", "none-declared"],
)
def test_language_fit(a: list[str], b: list[str], expected: tuple[int, tuple[str, ...], bool]) -> None:
    assert language_fit(a, b) == expected


def profile(class_id: int, country: str, tz: str, windows: list[dict[str, Any]], **kw: Any) -> ClassProfile:
    values: dict[str, Any] = {
        "name": f"class {class_id}",
        "school_name": f"school {class_id}",
        "age_band": "13-15",
        "languages": ("en",),
        "holidays": (),
    } | kw
    return ClassProfile(class_id=class_id, country=country, timezone=tz, windows=tuple(windows), **values)


def test_rank_orders_by_overlap_then_language_then_age_and_drops_misfits() -> None:
    mine = profile(1, "GB", "Europe/London", weekdays("09:00", "12:00"), languages=("en", "es"))
    others = [
        profile(2, "ES", "Europe/Madrid", weekdays("10:00", "11:00"), languages=("es",)),  # 60 min a day, tandem+shared
        profile(3, "FR", "Europe/Paris", weekdays("10:00", "12:00"), languages=("fr",)),  # 120 min a day
        profile(4, "DE", "Europe/Berlin", weekdays("10:00", "11:00"), languages=("en",)),  # 60, shared only
        profile(5, "GB", "Europe/London", weekdays("09:00", "12:00")),  # same country
        profile(6, "IT", "Europe/Rome", weekdays("09:00", "12:00"), age_band="17-18"),  # ages do not overlap
        profile(7, "US", "America/New_York", weekdays("15:00", "16:00")),  # no common time: still listed
    ]
    ranked = rank(mine, others, days(date(2026, 11, 30), 7))
    assert [m.partner.class_id for m in ranked] == [3, 2, 4, 7]
    assert [m.overlap_minutes for m in ranked] == [600, 300, 300, 0]
    assert not ranked[-1].has_overlap


def test_match_excludes_holidays_of_either_school() -> None:
    mine = profile(1, "GB", "Europe/London", weekdays("09:00", "10:00"), holidays=(("2026-12-01", "2026-12-02"),))
    other = profile(2, "PT", "Europe/Lisbon", weekdays("09:00", "10:00"), holidays=(("2026-12-04", "2026-12-04"),))
    found = match(mine, other, days(date(2026, 11, 30), 5))
    assert found is not None
    assert found.overlap_minutes == 2 * 60


def test_next_weeks_spans_whole_weeks_from_the_start() -> None:
    horizon = next_weeks(utc(2026, 3, 1, 12), 4)
    assert (horizon.start, horizon.end) == (utc(2026, 3, 1, 12), utc(2026, 3, 29, 12))
