"""sessions, progress and feedback: the outbox keeps the reading order of messages queued together

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-04

``outbox.position``: the order in which one transaction queued its messages (a session part's
statement before its interviewer guide), so ties of time are no longer broken by key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("position")
