"""PostgreSQL: a writer batch numbered and stored in one statement of fixed shape.

The portable path (``number_messages`` and a multi-row INSERT) costs a PostgreSQL batch four or five round trips
(BEGIN, the room locks, the position claim, the INSERT, COMMIT), and its INSERT changes shape with the batch size,
so psycopg re-parses the whole statement text every time (longer than its query cache takes) and the server plans it
every time. Here the batch travels as one array a column: the statement text never changes, so psycopg converts it
once and prepares it on the server after a few uses (with a generic plan: ``prefer_generic_plans``), and locking,
claiming and inserting are one round trip between BEGIN and COMMIT, on the DBAPI cursor. Writer thread CPU a batch
of 5 rooms 710-950 -> 267-373 µs, of one message 282-373 -> 200-250 (docs/performance.md, "Scale-out, third pass").

Same rules as ``rooms.models.number_messages``: a batch's rooms are locked in id order before any position is claimed
(one lock order for every writer, so two writers never deadlock), visible and masked messages without a position
take the next ones of their room in batch order, and the room rows stay locked until the commit, so a later position
never commits before an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, text

from rooms.models import SEQUENCED, Message, MessageData, MessageKind, ModerationState

_TABLE: Table = Message.__table__  # type: ignore[attr-defined]


def _labels(column: str, members: type[MessageKind] | type[ModerationState]) -> dict[str, str]:
    """What PostgreSQL stores for each member of an enum column (SQLAlchemy stores member names)."""
    stored = set(_TABLE.c[column].type.enums)  # type: ignore[attr-defined]
    labels: dict[str, str] = {m: m.name if m.name in stored else m.value for m in members}
    if not set(labels.values()) <= stored:
        raise RuntimeError(f"{column}: {sorted(labels.values())} are not all in {sorted(stored)}")
    return labels


_KIND = _labels("kind", MessageKind)
_STATE = _labels("state", ModerationState)
_KIND_TYPE = _TABLE.c.kind.type.name  # type: ignore[attr-defined]
_STATE_TYPE = _TABLE.c.state.type.name  # type: ignore[attr-defined]

_CLAIM_ROOMS = """
WITH locked AS (SELECT id FROM room WHERE id = ANY(CAST(:rooms AS integer[])) ORDER BY id FOR UPDATE),
claimed AS (
  UPDATE room SET last_seq = room.last_seq + claim.count
  FROM unnest(CAST(:rooms AS integer[]), CAST(:counts AS integer[])) AS claim(id, count)
  WHERE room.id = claim.id AND room.id IN (SELECT id FROM locked)
  RETURNING room.id, room.last_seq - claim.count AS before
)"""
# One room (most batches at light load) needs no lock order: one UPDATE of its row, planned more cheaply.
_CLAIM_ROOM = """
WITH claimed AS (
  UPDATE room SET last_seq = room.last_seq + CAST((CAST(:counts AS integer[]))[1] AS integer)
  WHERE room.id = (CAST(:rooms AS integer[]))[1]
  RETURNING room.id, room.last_seq - CAST((CAST(:counts AS integer[]))[1] AS integer) AS before
)"""
_INSERT = f"""
INSERT INTO message (room_id, participant_id, client_msg_id, kind, text, original_text, language, state, reason,
                     created_at, seq)
SELECT b.room_id, b.participant_id, b.client_msg_id, b.kind, b.text, b.original_text, b.language, b.state, b.reason,
       b.created_at, COALESCE(claimed.before + b.nth, b.seq)
FROM unnest(CAST(:room_id AS integer[]), CAST(:participant_id AS integer[]), CAST(:client_msg_id AS varchar[]),
            CAST(:kind AS {_KIND_TYPE}[]), CAST(:text AS varchar[]), CAST(:original_text AS varchar[]),
            CAST(:language AS varchar[]), CAST(:state AS {_STATE_TYPE}[]), CAST(:reason AS varchar[]),
            CAST(:created_at AS timestamptz[]), CAST(:seq AS integer[]), CAST(:nth AS integer[]))
  WITH ORDINALITY AS b(room_id, participant_id, client_msg_id, kind, text, original_text, language, state, reason,
                       created_at, seq, nth, n)
LEFT JOIN claimed ON claimed.id = b.room_id
ORDER BY b.n
RETURNING id, seq
"""
_STORE_ROOMS, _STORE_ROOM = text(_CLAIM_ROOMS + _INSERT), text(_CLAIM_ROOM + _INSERT)


def store_batch(conn: Connection, messages: Sequence[MessageData]) -> None:
    """Number and insert ``messages`` in the open transaction of ``conn``; fills in each one's ``seq`` and ``id``."""
    counts: dict[int, int] = {}
    nth: list[int | None] = []  # a message's place among its room's new positions (1, 2, ...), or None
    for message in messages:
        if message.seq is None and message.state in SEQUENCED:
            counts[message.room_id] = taken = counts.get(message.room_id, 0) + 1
            nth.append(taken)
        else:
            nth.append(None)
    rooms = sorted(counts)
    params: dict[str, Any] = {
        "rooms": rooms,
        "counts": [counts[room_id] for room_id in rooms],
        "room_id": [m.room_id for m in messages],
        "participant_id": [m.participant_id for m in messages],
        "client_msg_id": [m.client_msg_id for m in messages],
        "kind": [_KIND[m.kind] for m in messages],
        "text": [m.text for m in messages],
        "original_text": [m.original_text for m in messages],
        "language": [m.language for m in messages],
        "state": [_STATE[m.state] for m in messages],
        "reason": [m.reason for m in messages],
        "created_at": [m.created_at for m in messages],
        "seq": [m.seq for m in messages],
        "nth": nth,
    }
    rows = conn.execute(_STORE_ROOMS if len(rooms) > 1 else _STORE_ROOM, params).all()
    if len(rows) != len(messages):
        raise RuntimeError(f"stored {len(rows)} of a batch of {len(messages)}")
    # Ids come from the table's sequence in the SELECT's order (what SQLAlchemy's own sorted "insertmanyvalues"
    # relies on too), so in id order the rows are the batch in order.
    for message, (message_id, seq) in zip(messages, sorted(rows), strict=True):
        message.id, message.seq = message_id, seq


def prefer_generic_plans(conn: Connection) -> None:
    """Plan the batch statement once per connection: with array parameters PostgreSQL otherwise keeps re-planning it
    for every batch (a custom plan each time), which cost more server CPU than the round trips it saves."""
    conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    conn.commit()
