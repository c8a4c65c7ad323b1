"""The pairing engine's inputs and room shapes: who waits, the teacher's rules, and how a pool splits into rooms."""

from __future__ import annotations

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
