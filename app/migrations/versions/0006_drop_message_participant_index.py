"""message: drop ix_message_participant_id

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 04:20:00

uq_message_client_id (participant_id, client_msg_id) starts with the same column and serves every lookup by
participant (exports, erasure, foreign key checks); the second index only cost each stored message one more page
to change and write to the WAL.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_message_participant_id', table_name='message')


def downgrade() -> None:
    op.create_index('ix_message_participant_id', 'message', ['participant_id'], unique=False)
