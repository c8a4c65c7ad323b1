"""Weekly availability across time zones: concrete UTC intervals per date (DST-correct), overlaps and partner fit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


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


def _holiday_ranges(holidays: Iterable[Sequence[str]]) -> list[tuple[date, date]]:
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


def weekly_intervals(
    windows: Iterable[dict[str, Any]], tz: str, horizon: Interval, holidays: Iterable[Sequence[str]] = ()
) -> list[Interval]:
    """The concrete UTC intervals of weekly local windows inside ``horizon``, skipping holiday dates.

    Each local date is converted on its own with zoneinfo, so a window keeps its local wall-clock time across
    daylight-saving changes (its UTC time moves instead). A window whose end is not after its start runs past
    local midnight. A window counts as on holiday when the local date it starts on is a holiday.
    """
    place = zone(tz)
    off = _holiday_ranges(holidays)
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


@dataclass(frozen=True, slots=True)
class ClassProfile:
    """What partner finding needs to know about one class and its school."""

    class_id: int
    name: str
    school_name: str
    country: str
    timezone: str
    age_band: str
    languages: tuple[str, ...]
    windows: tuple[dict[str, Any], ...]
    holidays: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate partner class: how well it fits, and the overlap on both clocks."""

    partner: ClassProfile
    overlap_minutes: int
    language_score: int
    shared_languages: tuple[str, ...]
    complementary: bool
    age_fit: float
    slots: list[Slot] = field(default_factory=list)

    @property
    def has_overlap(self) -> bool:
        return self.overlap_minutes > 0


def age_fit(a: str, b: str) -> float:
    """Overlapping years over the wider band: 1.0 same band, 0 when the bands do not overlap."""
    (a_lo, a_hi), (b_lo, b_hi) = parse_age_band(a), parse_age_band(b)
    common = min(a_hi, b_hi) - max(a_lo, b_lo) + 1
    if common <= 0:
        return 0.0
    return common / max(a_hi - a_lo + 1, b_hi - b_lo + 1)


def language_fit(a: Iterable[str], b: Iterable[str]) -> tuple[int, tuple[str, ...], bool]:
    """(score, shared, complementary): a shared language lets them talk (2); each offering one the other lacks is a
    language tandem (1); both is best (3); 0 when either class declares no language."""
    mine, theirs = set(a), set(b)
    if not mine or not theirs:
        return 0, (), False
    shared = tuple(sorted(mine & theirs))
    complementary = bool(mine - theirs) and bool(theirs - mine)
    return 2 * bool(shared) + int(complementary), shared, complementary


def match(
    mine: ClassProfile, other: ClassProfile, horizon: Interval, mine_free: Sequence[Interval] | None = None
) -> Match | None:
    """How ``other`` fits ``mine`` over ``horizon``; None when it is not a candidate (same country, ages, languages).

    ``mine_free`` is ``mine``'s intervals over ``horizon`` when the caller already has them (``rank`` does).
    """
    if other.country == mine.country or other.class_id == mine.class_id:
        return None
    try:
        fit = age_fit(mine.age_band, other.age_band)
    except AvailabilityError:
        return None
    score, shared, complementary = language_fit(mine.languages, other.languages)
    if fit <= 0 or score == 0:
        return None
    if mine_free is None:
        mine_free = weekly_intervals(mine.windows, mine.timezone, horizon, mine.holidays)
    try:
        theirs = weekly_intervals(other.windows, other.timezone, horizon, other.holidays)
    except AvailabilityError:  # a zone removed from the tz database since they registered: no live overlap
        theirs = []
    overlaps = intersect(mine_free, theirs)
    return Match(
        partner=other,
        overlap_minutes=sum(i.minutes for i in overlaps),
        language_score=score,
        shared_languages=shared,
        complementary=complementary,
        age_fit=fit,
        slots=summarise(overlaps, mine.timezone, other.timezone) if overlaps else [],
    )


def rank(mine: ClassProfile, others: Iterable[ClassProfile], horizon: Interval) -> list[Match]:
    """Candidates best first: most overlap minutes, then language fit, then age fit, then name."""
    mine_free = weekly_intervals(mine.windows, mine.timezone, horizon, mine.holidays)
    found = [m for m in (match(mine, other, horizon, mine_free) for other in others) if m is not None]
    return sorted(
        found, key=lambda m: (-m.overlap_minutes, -m.language_score, -m.age_fit, m.partner.school_name, m.partner.name)
    )


def next_weeks(start: datetime, weeks: int) -> Interval:
    """The horizon from ``start`` (aware) for ``weeks`` weeks."""
    return Interval(start.astimezone(UTC), start.astimezone(UTC) + timedelta(weeks=weeks))
