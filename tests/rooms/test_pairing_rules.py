"""Keeping a pool's odd student out of a pass: the rule as properties, and the stream of arrivals it is for."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given

from rooms.pairing import Candidate, PairingRules, pair_participants, room_sizes
from rooms.pairing_rules import mixed_rooms, odd_one_out
from tests.rooms.test_pairing import pools, rule_sets


def _all_mix(pool: list[Candidate], room_size: int) -> bool:
    return len(pool) >= 2 and mixed_rooms(pool, room_size) == len(room_sizes(len(pool), room_size))


@given(pools(), rule_sets)
def test_odd_one_out_only_avoids_a_room_of_one_more_and_never_costs_mixing(
    pool: list[Candidate], rules: PairingRules
) -> None:
    odd = odd_one_out(pool, rules)
    size = rules.room_size
    forms_one_more = len(pool) > size and len(pool) % size == 1
    if odd is None:
        if forms_one_more:
            # Not kept out only when some room could not mix with or without the newest of a largest country.
            counts = Counter(c.country for c in pool)
            top = max(counts.values())
            newest = max(
                (c for c in pool if counts[c.country] == top), key=lambda c: (c.waiting_since, c.participant_id)
            )
            assert not (_all_mix(pool, size) and _all_mix([c for c in pool if c is not newest], size))
        return
    assert forms_one_more
    counts = Counter(c.country for c in pool)
    assert counts[odd.country] == max(counts.values())  # the rest stays as balanced as it can
    assert all(
        (c.waiting_since, c.participant_id) <= (odd.waiting_since, odd.participant_id)
        for c in pool
        if c.country == odd.country
    )
    rest = [c for c in pool if c is not odd]
    rooms = pair_participants(rest, rules)
    country = {c.participant_id: c.country for c in rest}
    assert len(rooms) == len(pair_participants(pool, rules))  # as many rooms, none of one more, nobody alone
    assert all(len(room) <= size for room in rooms)
    assert all(len({country[pid] for pid in room}) > 1 for room in rooms)  # every room still mixes


@pytest.mark.parametrize(
    ("countries", "room_size", "kept"),
    [
        ("GB ES GB", 2, 2),  # the newest of the larger country
        ("GB ES GB ES ES", 2, 4),
        ("GB GB GB", 2, None),  # nothing mixes: a one-country pool is the cross-country wait's business
        ("GB GB ES GB GB", 2, None),  # a room cannot mix without the odd student's country
        ("GB ES", 2, None),  # even: no room of one more
        ("GB ES FR GB", 3, 3),
        ("GB ES FR", 3, None),
    ],
    ids=["odd-three", "odd-five", "one-country", "lopsided", "even", "size-3-plus-one", "size-3-exact"],
)
def test_odd_one_out_examples(countries: str, room_size: int, kept: int | None) -> None:
    pool = [Candidate(pid, country, ("en",), pid, float(pid)) for pid, country in enumerate(countries.split())]
    odd = odd_one_out(pool, PairingRules(room_size=room_size))
    assert (odd.participant_id if odd else None) == kept


def _stream(keep: bool, passes: list[int]) -> tuple[list[tuple[str, ...]], list[str]]:
    """GB and ES students arriving alternately, paired in passes over that many new arrivals each, as the lobby
    pairs them: a one-country room is not formed (it waits for the cross-country wait). Returns the rooms formed
    and the countries of those still waiting at the end."""
    arrivals = [
        Candidate(pid, "GB" if pid % 2 == 0 else "ES", ("en",), pid % 2, float(pid)) for pid in range(sum(passes))
    ]
    pool: list[Candidate] = []
    rooms: list[tuple[str, ...]] = []
    for count in passes:
        pool += arrivals[:count]
        arrivals = arrivals[count:]
        odd = odd_one_out(pool, PairingRules()) if keep else None
        country = {c.participant_id: c.country for c in pool}
        formed = [
            room for room in pair_participants([c for c in pool if c is not odd]) if len({country[p] for p in room}) > 1
        ]
        rooms += [tuple(country[pid] for pid in room) for room in formed]
        placed = {pid for room in formed for pid in room}
        pool = [c for c in pool if c.participant_id not in placed]
    return rooms, [c.country for c in pool]


@pytest.mark.parametrize(
    "passes", [[3, 5, 3, 1], [3, 4, 1], [5, 2, 2, 1], [3, 3, 3, 3, 1, 1], [7, 1, 5, 9, 3, 1, 1, 5]], ids=str
)
def test_a_stream_in_odd_passes_ends_with_nobody_left_for_the_cross_country_wait(passes: list[int]) -> None:
    rooms, left = _stream(keep=True, passes=passes)
    assert left == []
    assert all(sorted(room) == ["ES", "GB"] for room in rooms)


@pytest.mark.parametrize("passes", [[3, 5, 3, 1], [3, 4, 1], [5, 2, 2, 1]], ids=str)
def test_a_room_of_three_at_every_odd_pass_leaves_the_last_student_alone(passes: list[int]) -> None:
    """What keeping the odd student out avoids: each room of three tips the balance of who is left."""
    _, left = _stream(keep=False, passes=passes)
    assert left == ["ES"]
