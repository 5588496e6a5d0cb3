"""storage hardening: pair space claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

A session's pair space is claimed (``space_state = 'opening'`` with a token and a time) in its
own transaction before the platform is asked to open it, so a crash at any point leaves at
most one space per session (see docs/scaling.md, "Pair spaces and crashes").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("space_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("space_claim", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("space_claimed_at", UTCDateTime(), nullable=True))
    # Sessions whose space is already open.
    op.execute("UPDATE sessions SET space_state = 'open' WHERE space_ref IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("space_claimed_at")
        batch_op.drop_column("space_claim")
        batch_op.drop_column("space_state")
