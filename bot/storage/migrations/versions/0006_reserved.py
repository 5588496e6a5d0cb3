"""form drafts (Discord form progress bound to its member)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Reserved slot: a no-op until its change lands (kept so the revision chain stays linear).
"""

from __future__ import annotations

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
