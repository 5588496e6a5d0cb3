"""outbox: a delivery's claim is a short lease, not a lock held while the platform answers

Revision ID: 0019_perf
Revises: 0018_friends
Create Date: 2026-12-05

``outbox.claim_token`` and ``outbox.claimed_until``: a delivery claims a message in one short
transaction (token and lease), sends it outside any transaction, and records the result in
another; so on SQLite the write lock is never held across a chat platform's round trip
(docs/scaling.md, "Outbox").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0019_perf"
down_revision = "0018_friends"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claim_token")
