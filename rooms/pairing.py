"""Pairing engine: forms mixed-country chat rooms from the waiting pool (pure, deterministic, no I/O)."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from operator import attrgetter

from rooms.pairing_repair import RoomRepair
from rooms.pairing_rules import Candidate, PairingRules, room_sizes

# How many of the most-represented other countries, and how many of each one's longest-waiting members,
# are scored for every free seat. Bounding the look-ahead keeps pairing O(n log n) instead of O(n^2).
_CANDIDATE_COUNTRIES = 4
_CANDIDATE_DEPTH = 3
_DEFAULT_RULES = PairingRules()
# What scoring reads of a seated or candidate person: rank, language mask, participant_id, past partners, class.
_Seat = tuple[int, int, int, frozenset[int], int]


def pair_participants(waiting: Sequence[Candidate], rules: PairingRules = _DEFAULT_RULES) -> list[tuple[int, ...]]:
    """Form rooms (tuples of participant ids) from the waiting pool.

    Sizes follow `room_sizes`: every participant is placed exactly once when the pool has two or more people.

    Country mixing is a hard guarantee: with m rooms, n people and c people in the largest country, exactly
    min(m, n - c) rooms hold two or more countries, which is the maximum possible (each mixed room needs
    somebody from outside the largest country). In particular every room is mixed when no country holds more
    than n - m people (for rooms of 2: no more than half the pool).

    Rooms are formed one at a time around the longest-waiting participant left. Each further seat goes to the
    best of the 3 longest-waiting free members of each of the 4 most-represented countries not yet in the room
    (plus room countries met on the way), ranked by, in order: within `max_per_class`; not a past partner of
    anyone in the room; shares a language with everyone in the room (which covers speaking someone's primary
    language); brings a country not yet in the room; (with a class cap only) belongs to the class with most
    people left; waited longest; smallest participant_id. Taking the most-represented countries first keeps the
    pool balanced, so later rooms can still mix. Afterwards, rooms with a class-cap breach or a repeated partner
    are repaired by swapping their offending members with people in rooms up to 32 places away, until no such
    swap helps (a bounded search: the soft rules are best effort, mixing is never traded away for them).

    Output depends only on the set of candidates, not on their order; rooms are listed in the order formed and
    their members by waiting time, then participant_id. Raises ValueError on duplicate participant ids.
    """
    if len({c.participant_id for c in waiting}) != len(waiting):
        raise ValueError("participant_id values must be unique")
    people = sorted(waiting, key=attrgetter("waiting_since", "participant_id"))
    return _Pairing(people, rules).run()


class _Pairing:
    """One run of the greedy: country buckets, each one's candidate window, and a size-ordered index of them."""

    def __init__(self, people: list[Candidate], rules: PairingRules) -> None:
        self.people = people
        self.rules = rules
        self.taken = [False] * len(people)
        self.next_oldest = 0
        self.pids = [person.participant_id for person in people]
        class_index: dict[int, int] = {}
        self.klass = [class_index.setdefault(person.class_id, len(class_index)) for person in people]
        self.class_left = [0] * len(class_index)
        for index in self.klass:
            self.class_left[index] += 1
        # A language set as a bit mask, so a clash (no common language) is an AND that gives 0.
        bits: dict[str, int] = {}
        mask_of: dict[tuple[str, ...], int] = {}
        self.masks: list[int] = []
        for person in people:
            mask = mask_of.get(person.languages)
            if mask is None:
                mask = 0
                for language in person.languages:
                    mask |= bits.setdefault(language, 1 << len(bits))
                mask_of[person.languages] = mask
            self.masks.append(mask)
        country_index: dict[str, int] = {}
        self.country: list[int] = []
        self.buckets: list[list[int]] = []
        for rank, person in enumerate(people):
            ci = country_index.setdefault(person.country, len(country_index))
            if ci == len(self.buckets):
                self.buckets.append([])
            self.buckets[ci].append(rank)
            self.country.append(ci)
        # windows[ci] holds the country's longest-waiting free members as scoring reads them, commons[ci] all their
        # languages as one mask. Whoever is taken is in their country's window (the oldest person left heads it,
        # every other seat is filled from windows), so a take only drops one member and brings in the next.
        self.windows = [[self._seat(rank) for rank in bucket[:_CANDIDATE_DEPTH]] for bucket in self.buckets]
        self.commons = [self._common(window) for window in self.windows]
        self.cursor = [len(window) for window in self.windows]
        self.left = [len(bucket) for bucket in self.buckets]
        # levels[size] holds the countries with that many people left, in arrival order, so equally large
        # countries take turns; sizes lists the non-empty levels ascending.
        self.levels: dict[int, dict[int, None]] = {}
        for ci, size in enumerate(self.left):
            self.levels.setdefault(size, {})[ci] = None
        self.sizes = sorted(self.levels)
        # Per room formed: whether the greedy left it a class-cap breach or a repeated partner (for RoomRepair).
        self.flagged: list[bool] = []

    def _seat(self, rank: int) -> _Seat:
        return (rank, self.masks[rank], self.pids[rank], self.people[rank].past_partners, self.klass[rank])

    @staticmethod
    def _common(window: list[_Seat]) -> int:
        common = 0
        for seat in window:
            common |= seat[1]
        return common

    def run(self) -> list[tuple[int, ...]]:
        shape = room_sizes(len(self.people), self.rules.room_size)
        rooms: list[list[int]] = []
        people_left, rooms_left = len(self.people), len(shape)
        for size in shape:
            rooms.append(self._fill(size, self._needs(size, people_left, rooms_left)))
            people_left -= size
            rooms_left -= 1
        RoomRepair(self.people, self.masks, self.country, self.klass, self.rules).run(rooms, self.flagged)
        pid = self.pids.__getitem__
        return [tuple(map(pid, sorted(room))) for room in rooms]

    def _needs(self, size: int, people_left: int, rooms_left: int) -> dict[int, int]:
        """How many seats each crowded country must get in this room so the remaining rooms can still mix.

        The remaining rooms can all mix iff no country holds more than people - rooms of the rest; otherwise the
        largest country must fill all but one seat of each room (one outsider per room is the optimum).
        """
        if len(self.sizes) == 1 and len(self.levels[self.sizes[0]]) == 1:
            return {next(iter(self.levels[self.sizes[0]])): size}
        threshold = people_left - rooms_left - size + 1
        needs: dict[int, int] = {}
        for level in reversed(self.sizes):
            if level <= threshold:
                break
            for ci in self.levels[level]:
                needs[ci] = min(level - threshold, size - 1)
        return needs

    def _fill(self, size: int, needs: dict[int, int]) -> list[int]:
        limit, class_left, windows, commons = self.rules.max_per_class, self.class_left, self.windows, self.commons
        n = len(self.people)
        single_country = len(needs) == 1 and next(iter(needs.values())) == size
        max_take = size if single_country else size - 1
        members: list[int] = []
        seated: list[_Seat] = []
        in_room: dict[int, int] = {}
        classes: dict[int, int] = {}
        unmet: list[int] = []
        forced = flagged = False
        for seat in range(size):
            if needs:
                unmet = [ci for ci, need in needs.items() if in_room.get(ci, 0) < need]
                forced = sum(needs[ci] - in_room.get(ci, 0) for ci in unmet) > size - seat - 1
            if seat == 0:
                rank = self._oldest()
                if forced and self.country[rank] not in unmet:
                    rank = min(windows[ci][0][0] for ci in unmet)
            else:
                best = -1
                for ci in unmet if forced else self._candidate_countries(in_room, max_take):
                    # No key in this window is below floor + crowd * n + rank: its country fixes the score's last
                    # bit, and whoever in the room shares no language with anyone in the window clashes with all
                    # of them. Ranks ascend, so the window is left once that bound passes the best key: the same
                    # winner as scoring everyone, with fewer scored.
                    again = ci in in_room
                    common = commons[ci]
                    clashes = 0
                    for mate in seated:
                        if not mate[1] & common:
                            clashes += 1
                    floor = (clashes * 2 + again) * (n + 1) * n
                    for rank, mask, pid, past, class_index in windows[ci]:
                        if 0 <= best < floor + rank:
                            break
                        over = crowd = 0
                        if limit is not None:
                            # With a class cap, big classes go first so they can still be spread out later.
                            crowd = n - class_left[class_index]
                            if 0 <= best < floor + crowd * n + rank:
                                continue
                            over = classes.get(class_index, 0) >= limit
                        repeats = clashes = 0
                        for _, mate_mask, mate_pid, mate_past, _ in seated:
                            if mate_pid in past or pid in mate_past:
                                repeats += 1
                            if not mask & mate_mask:
                                clashes += 1
                        score = ((over * 8 + repeats) * 8 + clashes) * 2 + again
                        key = (score * (n + 1) + crowd) * n + rank
                        if best < 0 or key < best:
                            best = key
                rank = best % n
                # The winner's score is at least 16 when it breaches the class cap or repeats a partner.
                flagged = flagged or best // ((n + 1) * n) >= 16
            seated.append(self._take(rank))
            members.append(rank)
            ci = self.country[rank]
            in_room[ci] = in_room.get(ci, 0) + 1
            class_index = self.klass[rank]
            classes[class_index] = classes.get(class_index, 0) + 1
        self.flagged.append(flagged)
        return members

    def _candidate_countries(self, in_room: dict[int, int], max_take: int) -> list[int]:
        """The most-represented countries not yet in the room, plus room countries met on the way."""
        chosen: list[int] = []
        fresh = 0
        for level in reversed(self.sizes):
            for ci in self.levels[level]:
                seated = in_room.get(ci, 0)
                if seated >= max_take:
                    continue
                chosen.append(ci)
                if not seated:
                    fresh += 1
                    if fresh == _CANDIDATE_COUNTRIES:
                        return chosen
        return chosen

    def _oldest(self) -> int:
        while self.taken[self.next_oldest]:
            self.next_oldest += 1
        return self.next_oldest

    def _take(self, rank: int) -> _Seat:
        """Seat a person: out of their country's window (the next one of the country comes in) and its level."""
        self.taken[rank] = True
        self.class_left[self.klass[rank]] -= 1
        ci = self.country[rank]
        window = self.windows[ci]
        for i, seat in enumerate(window):
            if seat[0] == rank:
                del window[i]
                break
        else:
            raise AssertionError(f"rank {rank} taken from outside its country's window")
        bucket, pos = self.buckets[ci], self.cursor[ci]
        if pos < len(bucket):
            window.append(self._seat(bucket[pos]))
            self.cursor[ci] = pos + 1
        self.commons[ci] = self._common(window)
        size = self.left[ci]
        level = self.levels[size]
        del level[ci]
        if not level:
            del self.levels[size]
            del self.sizes[bisect_left(self.sizes, size)]
        self.left[ci] = size - 1
        if size > 1:
            lower = self.levels.get(size - 1)
            if lower is None:
                lower = self.levels[size - 1] = {}
                insort(self.sizes, size - 1)
            lower[ci] = None
        return seat


__all__ = ["Candidate", "PairingRules", "pair_participants", "room_sizes"]
