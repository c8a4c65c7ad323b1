"""Benchmark the pairing engine against FIFO chunking on realistic pools; exits 1 if 10k takes over 0.2 s."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence

from rooms.pairing import Candidate, PairingRules, pair_participants, room_sizes

BUDGET_10K_SECONDS = 0.2
COUNTRIES = 30


def make_pool(size: int, seed: int) -> list[Candidate]:
    """30 countries of uneven size, one primary language each, 70 % also speak English, classes of ~25."""
    rng = random.Random(seed)
    weights = [1 + (i % 5) for i in range(COUNTRIES)]
    pool = []
    for pid in range(size):
        country = rng.choices(range(COUNTRIES), weights)[0]
        languages = (f"l{country}", "en") if rng.random() < 0.7 else (f"l{country}",)
        past = frozenset(rng.randrange(size) for _ in range(rng.randrange(3)))
        class_id = country * 1000 + rng.randrange(max(1, size // COUNTRIES // 25))
        pool.append(Candidate(pid, f"C{country:02d}", languages, class_id, rng.random() * 3600, past))
    return pool


def fifo_baseline(waiting: Sequence[Candidate], rules: PairingRules) -> list[tuple[int, ...]]:
    """Naive reference: sort by waiting time and cut into rooms of the same sizes."""
    ordered = sorted(waiting, key=lambda c: (c.waiting_since, c.participant_id))
    rooms, start = [], 0
    for size in room_sizes(len(ordered), rules.room_size):
        rooms.append(tuple(c.participant_id for c in ordered[start : start + size]))
        start += size
    return rooms


def best_time(pair: Callable[..., list[tuple[int, ...]]], pool: list[Candidate], rules: PairingRules) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        pair(pool, rules)
        times.append(time.perf_counter() - start)
    return min(times)


def quality(pool: list[Candidate], rooms: list[tuple[int, ...]], rules: PairingRules) -> str:
    by_id = {c.participant_id: c for c in pool}
    mixed = shared = pairs = repeats = breaches = 0
    for room in rooms:
        members = [by_id[pid] for pid in room]
        mixed += len({c.country for c in members}) > 1
        if rules.max_per_class is not None:
            classes = [c.class_id for c in members]
            breaches += any(classes.count(x) > rules.max_per_class for x in classes)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs += 1
                shared += not set(a.languages).isdisjoint(b.languages)
                repeats += a.participant_id in b.past_partners or b.participant_id in a.past_partners
    return (
        f"mixed rooms {mixed / len(rooms):6.1%}  pairs sharing a language {shared / pairs:6.1%}  "
        f"repeated pairs {repeats:4d}  rooms over class cap {breaches:4d}"
    )


def main() -> int:
    failed = False
    for rules in (PairingRules(), PairingRules(room_size=4, max_per_class=2)):
        print(f"room_size={rules.room_size} max_per_class={rules.max_per_class}")
        for size in (1_000, 10_000, 50_000):
            pool = make_pool(size, seed=size)
            ours, naive = best_time(pair_participants, pool, rules), best_time(fifo_baseline, pool, rules)
            print(f"  {size:6d} waiting: {ours * 1000:7.1f} ms  (FIFO {naive * 1000:5.1f} ms, x{ours / naive:4.1f})")
            print(f"      engine {quality(pool, pair_participants(pool, rules), rules)}")
            print(f"      FIFO   {quality(pool, fifo_baseline(pool, rules), rules)}")
            if size == 10_000 and ours > BUDGET_10K_SECONDS:
                print(f"  FAIL: 10k took {ours:.3f} s > {BUDGET_10K_SECONDS} s")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
