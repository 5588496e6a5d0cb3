"""session voice: each session's private voice channel and scheduled event

Revision ID: 0014_voice
Revises: 0013_room
Create Date: 2026-12-05

On Discord a session may get a private voice channel shortly before its start and a
scheduled event (community settings, see docs/session-room.md); the session keeps their
platform references so they are removed once, whoever runs the step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_voice"
down_revision = "0013_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("voice_url", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("event_ref", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("event_ref")
        batch_op.drop_column("voice_url")
        batch_op.drop_column("voice_ref")
