"""Partner fit: age and language fit, ranking by common time, holidays of either school excluded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.schools.partner_fit import ClassProfile, age_fit, language_fit, match, rank
from tests.app.schools.times import days, weekdays


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
