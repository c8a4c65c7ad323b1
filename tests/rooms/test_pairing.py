"""Tests for the pairing engine: hard guarantees as properties, soft preferences as examples."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.pairing import Candidate, PairingRules, pair_participants, room_sizes


def person(
    pid: int,
    country: str,
    langs: str = "en",
    class_id: int | None = None,
    waited: float | None = None,
    past: frozenset[int] = frozenset(),
) -> Candidate:
    return Candidate(
        pid,
        country,
        tuple(langs.split()),
        pid if class_id is None else class_id,
        pid if waited is None else waited,
        past,
    )


@st.composite
def pools(draw: st.DrawFn, max_size: int = 30) -> list[Candidate]:
    size = draw(st.integers(0, max_size))
    countries = draw(st.integers(1, 5))
    out = []
    for pid in range(size):
        country = draw(st.integers(0, countries - 1))
        langs = draw(st.lists(st.sampled_from(["en", "fr", "de", "es"]), min_size=1, max_size=3, unique=True))
        past = draw(st.frozensets(st.integers(0, max(size - 1, 0)), max_size=2))
        waited = draw(st.integers(0, 5))  # few values so waiting-time ties are common
        out.append(Candidate(pid, f"C{country}", tuple(langs), draw(st.integers(0, 3)), float(waited), past))
    return out


rule_sets = st.builds(PairingRules, st.integers(2, 4), st.one_of(st.none(), st.integers(1, 2)))


@given(pools(), rule_sets)
def test_pair_participants_places_everyone_once_in_documented_sizes(pool: list[Candidate], rules: PairingRules) -> None:
    rooms = pair_participants(pool, rules)
    placed = [pid for room in rooms for pid in room]
    assert len(placed) == len(set(placed))
    assert sorted(placed) == ([] if len(pool) < 2 else sorted(c.participant_id for c in pool))
    assert [len(room) for room in rooms] == room_sizes(len(pool), rules.room_size)
    assert all(len(room) >= 2 for room in rooms)


@given(pools(), rule_sets)
def test_pair_participants_mixes_the_maximum_possible_number_of_rooms(
    pool: list[Candidate], rules: PairingRules
) -> None:
    rooms = pair_participants(pool, rules)
    country = {c.participant_id: c.country for c in pool}
    mixed = sum(len({country[pid] for pid in room}) > 1 for room in rooms)
    if rooms:
        # Each mixed room needs someone from outside the largest country, so min(m, n - c) is the ceiling.
        assert mixed == min(len(rooms), len(pool) - max(Counter(country.values()).values()))


@given(pools(), rule_sets, st.randoms(use_true_random=False))
def test_pair_participants_ignores_input_order(pool: list[Candidate], rules: PairingRules, rng: random.Random) -> None:
    shuffled = pool[:]
    rng.shuffle(shuffled)
    assert pair_participants(shuffled, rules) == pair_participants(pool, rules)


def _breaches(room: tuple[int, ...], by_id: dict[int, Candidate], limit: int | None) -> tuple[int, int]:
    classes = Counter(by_id[pid].class_id for pid in room)
    excess = sum(max(0, n - limit) for n in classes.values()) if limit is not None else 0
    repeats = sum(
        a in by_id[b].past_partners or b in by_id[a].past_partners for i, a in enumerate(room) for b in room[i + 1 :]
    )
    return excess, repeats


@settings(max_examples=60)
@given(pools(max_size=16), rule_sets)
def test_pair_participants_leaves_no_swap_that_clears_a_breach_or_repeat(
    pool: list[Candidate], rules: PairingRules
) -> None:
    """Small pools are searched completely: no single swap fixes a class-cap breach or repeat for free."""
    rooms = [list(room) for room in pair_participants(pool, rules)]
    by_id = {c.participant_id: c for c in pool}

    def badness(room: list[int]) -> tuple[bool, int, int]:
        return (len({by_id[pid].country for pid in room}) < 2, *_breaches(tuple(room), by_id, rules.max_per_class))

    def total(a: list[int], b: list[int]) -> tuple[int, int, int]:
        x, y = badness(a), badness(b)
        return (x[0] + y[0], x[1] + y[1], x[2] + y[2])

    for a in rooms:
        if badness(a)[1:] == (0, 0):
            continue
        for b in rooms:
            if a is b:
                continue
            before = total(a, b)
            for i in range(len(a)):
                for j in range(len(b)):
                    a[i], b[j] = b[j], a[i]
                    after = total(a, b)
                    a[i], b[j] = b[j], a[i]
                    assert not (after[0] <= before[0] and after[1:] < before[1:]), (a, b, i, j)


@pytest.mark.parametrize(
    ("pool_size", "room_size", "expected"),
    [
        (0, 2, []),
        (1, 2, []),
        (2, 2, [2]),
        (3, 2, [3]),
        (7, 2, [2, 2, 3]),
        (2, 4, [2]),
        (5, 4, [5]),
        (6, 4, [4, 2]),
        (7, 3, [3, 4]),
        (11, 4, [4, 4, 3]),
    ],
    ids=[
        "empty",
        "alone",
        "pair",
        "three-for-two",
        "odd-pairs",
        "short-quad",
        "five-for-four",
        "quad-and-pair",
        "triple-and-quad",
        "quads-and-triple",
    ],
)
def test_room_sizes_never_leaves_anyone_alone(pool_size: int, room_size: int, expected: list[int]) -> None:
    assert room_sizes(pool_size, room_size) == expected


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        (
            [person(1, "FR", "fr"), person(2, "DE", "de"), person(3, "ES", "fr es"), person(4, "AT", "de")],
            [(1, 3), (2, 4)],
        ),
        (
            [person(1, "FR", "fr en"), person(2, "DE", "de"), person(3, "IT", "it en"), person(4, "AT", "de")],
            [(1, 3), (2, 4)],
        ),
    ],
    ids=["speaks-primary", "shared-second-language"],
)
def test_pair_participants_prefers_complementary_languages(
    pool: list[Candidate], expected: list[tuple[int, ...]]
) -> None:
    assert pair_participants(pool) == expected


def test_pair_participants_avoids_a_partner_who_left() -> None:
    # 1 and 2 were together, 2 left; the hub puts 1 back with past partners filled in.
    pool = [
        person(1, "FR", past=frozenset({2})),
        person(2, "DE", past=frozenset({1})),
        person(3, "DE"),
        person(4, "FR"),
    ]
    assert pair_participants(pool) == [(1, 3), (2, 4)]


def test_pair_participants_repeats_a_partner_only_when_there_is_no_one_else() -> None:
    pool = [person(1, "FR", past=frozenset({2})), person(2, "DE", past=frozenset({1}))]
    assert pair_participants(pool) == [(1, 2)]


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        (
            [
                person(1, "DE", waited=5),
                person(2, "DE", waited=1),
                person(3, "DE", waited=3),
                person(4, "FR", waited=2),
                person(5, "FR", waited=4),
                person(6, "FR", waited=6),
            ],
            [(2, 4), (3, 5), (1, 6)],
        ),
        (
            [
                person(1, "DE", waited=0),
                person(4, "DE", waited=5),
                person(3, "FR", waited=1),
                person(2, "FR", waited=1),
            ],
            [(1, 2), (3, 4)],
        ),
        ([person(7, "FR", waited=9)], []),
    ],
    ids=["oldest-first", "tie-by-id", "alone-waits"],
)
def test_pair_participants_serves_the_longest_waiting_first(
    pool: list[Candidate], expected: list[tuple[int, ...]]
) -> None:
    assert pair_participants(pool) == expected


@pytest.mark.parametrize(
    ("room_size", "max_per_class", "classes"),
    [
        (4, 2, [("FR", 1, 12), ("DE", 2, 12)]),
        (3, 1, [("FR", 1, 6), ("FR", 2, 6), ("DE", 3, 6)]),
        (4, 1, [("FR", 1, 5), ("FR", 2, 5), ("DE", 3, 5), ("DE", 4, 5)]),
    ],
    ids=["two-classes-half-each", "one-per-class-of-three", "one-per-class-of-four"],
)
def test_pair_participants_respects_max_per_class(
    room_size: int, max_per_class: int, classes: list[tuple[str, int, int]]
) -> None:
    pool = [
        person(class_id * 100 + i, country, class_id=class_id, waited=(i * 7919 + class_id) % 13)
        for country, class_id, size in classes
        for i in range(size)
    ]
    by_id = {c.participant_id: c for c in pool}
    rooms = pair_participants(pool, PairingRules(room_size, max_per_class))
    assert all(max(Counter(by_id[pid].class_id for pid in room).values()) <= max_per_class for room in rooms)
    assert all(len({by_id[pid].country for pid in room}) == 2 for room in rooms)


@pytest.mark.parametrize(
    ("room_size", "max_per_class"),
    [(1, None), (5, None), (2, 0)],
    ids=["room-too-small", "room-too-big", "zero-cap"],
)
def test_pairing_rules_rejects_out_of_range_values(room_size: int, max_per_class: int | None) -> None:
    with pytest.raises(ValueError, match="must be"):
        PairingRules(room_size, max_per_class)


def test_pair_participants_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        pair_participants([person(1, "FR"), person(1, "DE")])
