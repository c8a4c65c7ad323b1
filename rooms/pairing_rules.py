"""The pairing engine's inputs and room shapes: who waits, the teacher's rules, and how a pool splits into rooms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    """A student waiting for a room, as the hub sees them."""

    participant_id: int
    country: str  # ISO-3166 alpha-2
    languages: tuple[str, ...]  # ISO-639-1, first = primary language
    class_id: int
    waiting_since: float  # smaller = waited longer
    past_partners: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PairingRules:
    """Room shape chosen by the teacher: room size and an optional cap on classmates per room."""

    room_size: int = 2  # 2..4
    max_per_class: int | None = None  # at most N students of one class per room (None = no limit)

    def __post_init__(self) -> None:
        if not 2 <= self.room_size <= 4:
            raise ValueError(f"room_size must be between 2 and 4, got {self.room_size}")
        if self.max_per_class is not None and self.max_per_class < 1:
            raise ValueError(f"max_per_class must be at least 1, got {self.max_per_class}")


def room_sizes(pool_size: int, room_size: int) -> list[int]:
    """Sizes of the rooms a pool of `pool_size` is split into, in the order they are formed.

    Everyone is placed and nobody is ever alone: with n = q * room_size + r there are q rooms of room_size;
    a remainder of 1 joins the last room (room_size + 1), a remainder r >= 2 forms its own last room of r.
    A pool of 0 or 1 gives no room.
    """
    if pool_size < 2:
        return []
    full, rest = divmod(pool_size, room_size)
    if rest == 1:
        return [room_size] * (full - 1) + [room_size + 1]
    return [room_size] * full + ([rest] if rest else [])


def mixed_rooms(pool: Sequence[Candidate], room_size: int) -> int:
    """How many of the pool's rooms can mix countries: min(m, n - c), as `pair_participants` forms them."""
    if len(pool) < 2:
        return 0
    largest = max(Counter(c.country for c in pool).values())
    return min(len(room_sizes(len(pool), room_size)), len(pool) - largest)


def odd_one_out(pool: Sequence[Candidate], rules: PairingRules) -> Candidate | None:
    """The student to keep out of this pass, so that it forms no room of ``room_size + 1``; None to form it.

    A room of one more than the room size holds two of one country, so in a stream of arrivals each one tips the
    balance of who is left, and a stream that ends tipped leaves its last students to the cross-country wait.
    Kept out only when the pool would form such a room and all its rooms mix countries with and without them: the
    newest member of the most-represented country, so that the rest stays balanced.
    """
    size = rules.room_size
    if len(pool) <= size or len(pool) % size != 1:
        return None
    counts = Counter(c.country for c in pool)
    largest = max(counts.values())
    newest = max((c for c in pool if counts[c.country] == largest), key=lambda c: (c.waiting_since, c.participant_id))
    rest = [c for c in pool if c is not newest]
    if mixed_rooms(pool, size) < len(room_sizes(len(pool), size)):
        return None
    if mixed_rooms(rest, size) < len(room_sizes(len(rest), size)):
        return None
    return newest
