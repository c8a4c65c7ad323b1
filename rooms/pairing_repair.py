"""Repair after the pairing greedy: swaps between nearby rooms that clear class-cap breaches and repeated partners."""

from __future__ import annotations

from collections.abc import Sequence

from rooms.pairing_rules import Candidate, PairingRules

# Rooms on either side (in formation order) searched for a swap partner when repairing a room.
_REPAIR_REACH = 32
# Swap evaluations allowed per run, so a pool whose class cap cannot be met everywhere stays cheap to pair.
_REPAIR_BUDGET = 50_000
_REPAIR_BUDGET_PER_ROOM = 16


def _is_bad(cost: int) -> bool:
    """Whether a room cost (see RoomRepair._cost) carries a class-cap breach or a repeated partner."""
    return (cost // 256) % (64 * 32) > 0


class RoomRepair:
    """Rooms are lists of ranks into ``people`` (sorted by waiting time); ``masks``, ``country`` and ``klass`` are
    each rank's languages as a bit mask, country index and class index, as the greedy (rooms.pairing) made them."""

    def __init__(
        self,
        people: Sequence[Candidate],
        masks: list[int],
        country: list[int],
        klass: list[int],
        rules: PairingRules,
    ) -> None:
        self.people, self.masks, self.country, self.klass, self.rules = people, masks, country, klass, rules
        self.budget = 0

    def run(self, rooms: list[list[int]], flagged: list[bool]) -> None:
        """Swap people between nearby rooms to clear class-cap breaches and repeated partners the greedy left.

        A swap is kept only if it lowers the two rooms' combined cost, whose top term is "not mixed", so the
        number of mixed rooms never drops. Passes repeat until no room with a breach or a repeat has an
        improving swap with any room within _REPAIR_REACH of it (a 2-swap local optimum); cost strictly falls
        with every swap, so this ends. A room's cost is worked out when a swap first looks at it: until then
        the greedy's flag says whether it is bad, and most rooms are never looked at.
        """
        costs: list[int | None] = [None] * len(rooms)

        def bad(index: int) -> bool:
            cost = costs[index]
            return flagged[index] if cost is None else _is_bad(cost)

        self.budget = _REPAIR_BUDGET + _REPAIR_BUDGET_PER_ROOM * len(rooms)
        swapped = True
        while swapped:
            swapped = False
            for index in range(len(rooms)):
                while bad(index) and self._swap_once(rooms, costs, index):
                    swapped = True

    def _swap_once(self, rooms: list[list[int]], costs: list[int | None], index: int) -> bool:
        """Apply the first swap of a troubled member of room `index` that lowers the cost of the two rooms."""
        room = rooms[index]
        troubled = self._troubled(room)
        mine_cost = costs[index]
        if mine_cost is None:
            mine_cost = costs[index] = self._cost(room)
        for other_index in range(max(0, index - _REPAIR_REACH), min(len(rooms), index + _REPAIR_REACH + 1)):
            if other_index == index:
                continue
            other = rooms[other_index]
            other_cost = costs[other_index]
            if other_cost is None:
                other_cost = costs[other_index] = self._cost(other)
            before = mine_cost + other_cost
            self.budget -= len(troubled) * len(other)
            if self.budget < 0:
                return False
            for i in troubled:
                mine = room[i]
                for j, theirs in enumerate(other):
                    room[i], other[j] = theirs, mine
                    after_mine, after_theirs = self._cost(room), self._cost(other)
                    if after_mine + after_theirs < before:
                        costs[index], costs[other_index] = after_mine, after_theirs
                        return True
                    room[i], other[j] = mine, theirs
        return False

    def _troubled(self, room: list[int]) -> list[int]:
        """Positions of members in an over-cap class or a repeated pair: the only moves that can fix a room."""
        people, limit = self.people, self.rules.max_per_class
        classes: dict[int, int] = {}
        for rank in room:
            classes[people[rank].class_id] = classes.get(people[rank].class_id, 0) + 1
        troubled = []
        for i, rank in enumerate(room):
            person = people[rank]
            if limit is not None and classes[person.class_id] > limit:
                troubled.append(i)
                continue
            for other in room:
                mate = people[other]
                if mate.participant_id in person.past_partners or person.participant_id in mate.past_partners:
                    troubled.append(i)
                    break
        return troubled

    def _cost(self, room: list[int]) -> int:
        """Room badness, most important term first: not mixed, class-cap excess, repeats, language clashes."""
        people, masks, country, klass = self.people, self.masks, self.country, self.klass
        excess = 0
        limit = self.rules.max_per_class
        if limit is not None:
            counts: dict[int, int] = {}
            for rank in room:
                counts[klass[rank]] = counts.get(klass[rank], 0) + 1
            excess = sum(count - limit for count in counts.values() if count > limit)
        repeats = clashes = 0
        for i, rank in enumerate(room):
            person, mask = people[rank], masks[rank]
            for other in room[i + 1 :]:
                mate = people[other]
                if mate.participant_id in person.past_partners or person.participant_id in mate.past_partners:
                    repeats += 1
                if not mask & masks[other]:
                    clashes += 1
        countries = len({country[rank] for rank in room})
        return (((countries < 2) * 64 + excess) * 32 + repeats) * 256 + clashes * 8 + len(room) - countries
