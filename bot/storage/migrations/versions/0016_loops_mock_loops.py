"""mock loops: the loops table, and each round's request linked to its loop

Revision ID: 0016_loops
Revises: 0015_reports
Create Date: 2026-12-05

A member books a loop (three or four rounds of different interview types over one to two
weeks). Each round is an ordinary interview request carrying the loop's id; its session is
reached through the request. The loop keeps its rounds as booked and, at the end, its
debrief (see docs/loops.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0016_loops"
down_revision = "0015_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loops",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column(
            "community_id",
            sa.String(length=32),
            sa.ForeignKey("communities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.String(length=32),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("template_id", sa.String(length=40), nullable=False),
        sa.Column("template_name", sa.String(length=80), nullable=False),
        sa.Column("track", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("rounds", sa.JSON(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("debrief", sa.JSON(), nullable=True),
        sa.Column("debriefed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loops_member", "loops", ["member_id", "created_at"])
    op.create_index(
        "uq_loops_member_active",
        "loops",
        ["member_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index("ix_loops_community_debriefed", "loops", ["community_id", "debriefed_at"])
    with op.batch_alter_table("interview_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("loop_id", sa.String(length=32), nullable=True))
    op.create_index("ix_interview_requests_loop_id", "interview_requests", ["loop_id"])


def downgrade() -> None:
    op.drop_index("ix_interview_requests_loop_id", table_name="interview_requests")
    with op.batch_alter_table("interview_requests", schema=None) as batch_op:
        batch_op.drop_column("loop_id")
    op.drop_index("ix_loops_community_debriefed", table_name="loops")
    op.drop_index("uq_loops_member_active", table_name="loops")
    op.drop_index("ix_loops_member", table_name="loops")
    op.drop_table("loops")
