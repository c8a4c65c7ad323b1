"""What coordinators type about their time: time zones, weekly windows, holidays and age bands, parsed and shown.

The stored forms are what `app.schools.overlaps` turns into concrete intervals and `app.schools.partner_fit` compares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.i18n import Phrase
from app.locale.extra_messages import N_

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WINDOW = re.compile(r"^\s*(\w{3})\w*\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_HOLIDAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:\s*(?:to|\.\.|/|\u2013|\u2014)\s*(\d{4}-\d{2}-\d{2}))?\s*$")
_AGE = re.compile(r"^\s*(\d{1,2})\s*(?:-\s*(\d{1,2}))?\s*$")
MIN_AGE, MAX_AGE = 5, 99


class AvailabilityError(ValueError):
    """A window, holiday, age band or time zone a coordinator typed that we cannot use; the message says why."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; unknown names (and file paths) are rejected with a clear message."""
    if name not in _zone_names():
        raise AvailabilityError(_unknown_zone(name))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AvailabilityError(_unknown_zone(name)) from None


def _unknown_zone(name: str) -> Phrase:
    return Phrase("Unknown time zone '%(name)s'. Use an IANA name such as Europe/London.", name=name)


_ZONES: frozenset[str] = frozenset()


def _zone_names() -> frozenset[str]:
    global _ZONES
    if not _ZONES:  # available_timezones() walks the tz database on disk: once per process is enough
        _ZONES = frozenset(available_timezones())
    return _ZONES


def timezone_names() -> list[str]:
    """Every IANA zone name, sorted (for the registration form's list)."""
    return sorted(_zone_names())


def _hhmm(hours: str, minutes: str) -> time:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time(0, 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise AvailabilityError(
            Phrase("%(hours)s:%(minutes)s is not a time of day (use HH:MM, 00:00-23:59).", hours=hours, minutes=minutes)
        )
    return time(h, m)


def _on_line(number: int, line: str, problem: str) -> AvailabilityError:
    """A problem with line ``number`` of a list the coordinator typed; ``problem`` takes ``%(n)s`` and ``%(line)s``."""
    return AvailabilityError(Phrase(problem, n=number, line=line.strip()))


def parse_windows(text: str) -> list[dict[str, Any]]:
    """Parse one window per line, "Mon 09:00-15:00" (an end before the start runs past midnight) into stored form."""
    windows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _WINDOW.match(line)
        day = found.group(1).capitalize() if found else ""
        if found is None or day not in WEEKDAYS:
            raise _on_line(
                number, line, N_("Line %(n)s ('%(line)s'): write a weekday and times, e.g. Mon 09:00-15:00.")
            )
        start, end = _hhmm(found.group(2), found.group(3)), _hhmm(found.group(4), found.group(5))
        if start == end:
            raise _on_line(number, line, N_("Line %(n)s ('%(line)s'): the window is empty."))
        windows.append({"weekday": WEEKDAYS.index(day), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    if len(windows) > 50:
        raise AvailabilityError("At most 50 weekly windows, please.")
    return windows


def format_window(window: dict[str, Any]) -> str:
    return f"{WEEKDAYS[int(window['weekday'])]} {window['start']}-{window['end']}"


def format_windows(windows: Iterable[dict[str, Any]]) -> str:
    return "\n".join(format_window(w) for w in windows)


def parse_holidays(text: str) -> list[list[str]]:
    """Parse one holiday per line: a date, or a range "2026-12-21 to 2027-01-04" (inclusive)."""
    holidays: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _HOLIDAY.match(line)
        if found is None:
            raise _on_line(
                number, line, N_("Line %(n)s ('%(line)s'): write a date or a range, e.g. 2026-12-21 to 2027-01-04.")
            )
        try:
            first = date.fromisoformat(found.group(1))
            last = date.fromisoformat(found.group(2)) if found.group(2) else first
        except ValueError:
            raise _on_line(number, line, N_("Line %(n)s ('%(line)s'): that is not a calendar date.")) from None
        if last < first:
            raise _on_line(number, line, N_("Line %(n)s ('%(line)s'): the range ends before it starts."))
        holidays.append([first.isoformat(), last.isoformat()])
    return holidays


def format_holidays(holidays: Iterable[Sequence[str]]) -> str:
    return "\n".join(h[0] if h[0] == h[1] else f"{h[0]} to {h[1]}" for h in holidays)


def holiday_ranges(holidays: Iterable[Sequence[str]]) -> list[tuple[date, date]]:
    return [(date.fromisoformat(h[0]), date.fromisoformat(h[1])) for h in holidays if len(h) == 2]


def parse_age_band(text: str) -> tuple[int, int]:
    """ "13-15" -> (13, 15); "14" -> (14, 14)."""
    found = _AGE.match(text)
    if found is None:
        raise AvailabilityError(Phrase("Age band '%(text)s': write a range such as 13-15.", text=text))
    low = int(found.group(1))
    high = int(found.group(2)) if found.group(2) else low
    if not MIN_AGE <= low <= high <= MAX_AGE:
        raise AvailabilityError(
            Phrase(
                "Age band '%(text)s': ages from %(low)s to %(high)s, youngest first.",
                text=text,
                low=MIN_AGE,
                high=MAX_AGE,
            )
        )
    return low, high
