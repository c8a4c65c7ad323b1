"""Partner fit: how well a class abroad suits one of ours (common time, languages, ages), best candidates first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.schools.availability import AvailabilityError, parse_age_band
from app.schools.overlaps import Interval, Slot, intersect, summarise, weekly_intervals


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
