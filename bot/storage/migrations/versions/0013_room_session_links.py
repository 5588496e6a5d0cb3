"""session room: each session's call and work-surface links

Revision ID: 0013_room
Revises: 0012_ops
Create Date: 2026-12-04

Every session gets its own call link (a Jitsi Meet room by default, or the community's
link) and, for design and coding types, a work-surface link, generated at booking and
shown only to the pair (see docs/session-room.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_room"
down_revision = "0012_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_url", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("work_url", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("work_url")
        batch_op.drop_column("call_url")
