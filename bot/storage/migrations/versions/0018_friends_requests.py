"""friend requests: invitations to practise with a chosen member

Revision ID: 0018_friends
Revises: 0017_early
Create Date: 2026-12-05

``/mock schedule partner:@member`` stores an invitation the invited member accepts or
declines (or the requester withdraws, or it lapses); an accepted one is booked by the
matching round's rules (see docs/session-room.md, "Practise with a friend").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0018_friends"
down_revision = "0017_early"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "friend_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.String(length=32), nullable=False),
        sa.Column("requester_id", sa.String(length=32), nullable=False),
        sa.Column("invitee_id", sa.String(length=32), nullable=False),
        sa.Column("interview_type", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requester_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invitee_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("friend_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_friend_requests_requester_status", ["requester_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_friend_requests_invitee_id"), ["invitee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("friend_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_friend_requests_invitee_id"))
        batch_op.drop_index("ix_friend_requests_requester_status")

    op.drop_table("friend_requests")
