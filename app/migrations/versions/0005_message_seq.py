"""message positions: room.last_seq and message.seq

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:40:00

Every visible message gets its position in its room (1, 2, 3...) in commit order; existing rooms are numbered
by id, which was commit order while one process wrote them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('room', sa.Column('last_seq', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('message', sa.Column('seq', sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE message SET seq = (
            SELECT numbered.n FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY id) AS n
                FROM message WHERE state IN ('VISIBLE', 'MASKED', 'DELETED')
            ) AS numbered WHERE numbered.id = message.id
        )
        """
    )
    op.execute("UPDATE room SET last_seq = COALESCE((SELECT MAX(seq) FROM message WHERE message.room_id = room.id), 0)")
    # An index, not a constraint, and the server default stays: on SQLite either change would recreate the
    # table, which foreign keys from other tables' rows refuse.
    op.create_index('uq_message_room_seq', 'message', ['room_id', 'seq'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_message_room_seq', table_name='message')
    op.drop_column('message', 'seq')
    op.drop_column('room', 'last_seq')
