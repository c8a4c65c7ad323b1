"""What coordinators type about their time: weekly windows, holidays, age bands and zone names, parsed or refused."""

from __future__ import annotations

from typing import Any

import pytest

from app.schools.availability import AvailabilityError, parse_age_band, parse_holidays, parse_windows, zone


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
