"""reports about a session's partner, and suspensions from matching

Revision ID: 0015_reports
Revises: 0014_voice
Create Date: 2026-12-05

A member may report their partner once per session (the admins read it; the reported member
is never told), and admins may suspend a member from matching for a number of days
(see docs/session-room.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0015_reports"
down_revision = "0014_voice"
branch_labels = None
depends_on = None


def _fk(name: str, target: str) -> sa.Column[str]:
    return sa.Column(
        name,
        sa.String(length=32),
        sa.ForeignKey(target, ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        _fk("community_id", "communities.id"),
        _fk("session_id", "sessions.id"),
        _fk("reporter_id", "members.id"),
        _fk("reported_id", "members.id"),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "reporter_id", name="uq_reports_session_reporter"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_reporter_id", ["reporter_id"], unique=False)
        batch_op.create_index("ix_reports_reported_id", ["reported_id"], unique=False)
        batch_op.create_index(
            "ix_reports_community_status_created",
            ["community_id", "status", "created_at"],
            unique=False,
        )
    op.create_table(
        "suspensions",
        sa.Column("id", sa.String(length=32), nullable=False),
        _fk("community_id", "communities.id"),
        _fk("member_id", "members.id"),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.create_index("ix_suspensions_member_id", ["member_id"], unique=False)
        batch_op.create_index(
            "ix_suspensions_community_ends", ["community_id", "ends_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("suspensions")
    op.drop_table("reports")
