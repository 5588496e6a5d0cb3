"""prompt packs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_packs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.String(length=32), nullable=True),
        sa.Column("imported_by_name", sa.String(length=80), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "name", name="uq_prompt_pack_community_name"),
    )
    with op.batch_alter_table("prompt_packs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prompt_packs_community_id"), ["community_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("prompt_packs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_packs_community_id"))

    op.drop_table("prompt_packs")
