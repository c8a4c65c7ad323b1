"""Live participation figures of a session, from the database: who talks, who is silent, who needs translation.

A facilitator glances at these to see where to step in: a room where one student has 90% of the words, a
country whose students say nothing, a student silent for the whole session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from rooms.clock import iso
from rooms.models import (
    Message,
    MessageKind,
    ModerationState,
    Participant,
    ParticipantStatus,
    Room,
    RoomMember,
    RoomStatus,
)
from rooms.protocol import student_view

DELIVERED = (ModerationState.VISIBLE, ModerationState.MASKED)
MODERATED = (ModerationState.HELD, ModerationState.BLOCKED, ModerationState.DELETED)


@dataclass
class Tally:
    messages: int = 0
    words: int = 0
    translated: int = 0  # messages written in a language some room partner does not read first
    moderated: int = 0  # held, blocked or deleted


@dataclass
class _Acc:
    by_participant: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_room_participant: dict[tuple[int, int], Tally] = field(default_factory=lambda: defaultdict(Tally))
    last_in_room: dict[int, Any] = field(default_factory=dict)
    last_id: int = 0  # the newest delivered chat message counted (the console counts later ones as they arrive)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def session_stats(db: Session, session_id: int) -> dict[str, Any]:
    """Messages and words per participant, room and country; talk balance (share of words); silent students."""
    participants = {
        p.id: p for p in db.exec(select(Participant).where(Participant.session_id == session_id)) if p.id is not None
    }
    rooms = list(db.exec(select(Room).where(Room.session_id == session_id).order_by(col(Room.id))))
    room_ids = [r.id for r in rooms if r.id is not None]
    memberships: dict[int, list[int]] = defaultdict(list)
    if room_ids:
        for member in db.exec(select(RoomMember).where(col(RoomMember.room_id).in_(room_ids))):
            memberships[member.room_id].append(member.participant_id)
    first_language = {pid: (p.languages[0] if p.languages else None) for pid, p in participants.items()}
    acc = _Acc()
    if room_ids:
        rows = db.exec(select(Message).where(col(Message.room_id).in_(room_ids), Message.kind == MessageKind.CHAT))
        for message in rows:
            room_id, pid, text, language = message.room_id, message.participant_id, message.text, message.language
            state, created = message.state, message.created_at
            if pid is None:
                continue
            tallies = (acc.by_participant[pid], acc.by_room_participant[(room_id, pid)])
            if state not in DELIVERED:
                for tally in tallies:
                    tally.moderated += 1
                continue
            words = len(text.split())
            partners = {first_language.get(other) for other in memberships[room_id] if other != pid}
            needs_translation = language is not None and any(lang and lang != language for lang in partners)
            for tally in tallies:
                tally.messages += 1
                tally.words += words
                tally.translated += int(needs_translation)
            acc.last_id = max(acc.last_id, message.id or 0)
            previous = acc.last_in_room.get(room_id)
            acc.last_in_room[room_id] = created if previous is None or created > previous else previous
    return {
        "session": session_id,
        "participants": [_participant_view(p, acc.by_participant[pid]) for pid, p in participants.items()],
        "rooms": [
            _room_view(r, memberships[r.id or 0], participants, acc) for r in rooms if r.status == RoomStatus.OPEN
        ],
        "countries": _countries(participants, acc),
        "silent": sorted(
            p.display_name
            for pid, p in participants.items()
            if p.status == ParticipantStatus.PAIRED and acc.by_participant[pid].messages == 0
        ),
        "totals": _totals(acc),
        "last_message_id": acc.last_id,
    }  # fmt: skip


def _participant_view(p: Participant, tally: Tally) -> dict[str, Any]:
    return {
        **student_view(p),
        "messages": tally.messages,
        "words": tally.words,
        "translated": tally.translated,
        "moderated": tally.moderated,
    }


def _room_view(room: Room, member_ids: list[int], participants: dict[int, Participant], acc: _Acc) -> dict[str, Any]:
    assert room.id is not None
    current = [pid for pid in member_ids if pid in participants and participants[pid].room_id == room.id]
    tallies = {pid: acc.by_room_participant[(room.id, pid)] for pid in current}
    total_words = sum(t.words for t in tallies.values())
    members = [
        {
            "id": pid,
            "name": participants[pid].display_name,
            "country": participants[pid].country,
            "messages": tallies[pid].messages,
            "words": tallies[pid].words,
            "share": _share(tallies[pid].words, total_words),
            "silent": tallies[pid].messages == 0,
        }
        for pid in current
    ]
    last = acc.last_in_room.get(room.id)
    return {
        "id": room.id,
        "slow_mode": room.slow_mode_seconds,
        "messages": sum(t.messages for t in tallies.values()),
        "words": total_words,
        "translated": sum(t.translated for t in tallies.values()),
        "members": members,
        "last_message_at": iso(last) if last is not None else None,
    }


def _countries(participants: dict[int, Participant], acc: _Acc) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for pid, p in participants.items():
        tally = acc.by_participant[pid]
        row = rows.setdefault(
            p.country,
            {"country": p.country, "participants": 0, "messages": 0, "words": 0, "silent": 0, "translated": 0},
        )
        row["participants"] += 1
        row["messages"] += tally.messages
        row["words"] += tally.words
        row["translated"] += tally.translated
        row["silent"] += int(p.status == ParticipantStatus.PAIRED and tally.messages == 0)
    total_words = sum(r["words"] for r in rows.values())
    for row in rows.values():
        row["share"] = _share(row["words"], total_words)
    return sorted(rows.values(), key=lambda r: str(r["country"]))


def _totals(acc: _Acc) -> dict[str, int]:
    tallies = acc.by_participant.values()
    return {
        "messages": sum(t.messages for t in tallies),
        "words": sum(t.words for t in tallies),
        "translated": sum(t.translated for t in tallies),
        "moderated": sum(t.moderated for t in tallies),
    }
