"""scheduled_actions: a step that calls a chat platform holds a short lease, not a transaction

Revision ID: 0020_step_calls
Revises: 0019_perf
Create Date: 2026-12-05

``scheduled_actions.claim_token`` and ``scheduled_actions.claimed_until``: a step that calls a
chat platform (a session's voice channel or event) decides the call in its transaction, leases
the step and commits; makes the call outside any transaction; and records the result in a
second one, if the lease is still its own. So on SQLite the write lock is never held across a
platform's round trip (docs/session-room.md, "Calls outside the transaction").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0020_step_calls"
down_revision = "0019_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_actions", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claim_token")
