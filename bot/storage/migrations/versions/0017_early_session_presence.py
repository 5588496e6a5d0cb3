"""start early, end early: who said their partner is here, who said you are done

Revision ID: 0017_early
Revises: 0016_loops
Create Date: 2026-12-05

"My partner is here" pressed by both before the start offers "Start now"; "We're done"
pressed by both ends the session at once (see docs/session-room.md). Both presses are
kept on the session, so they survive a restart.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_early"
down_revision = "0016_loops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("here_by", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("done_by", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("done_by")
        batch_op.drop_column("here_by")
