"""console and router state

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Reserved slot: a no-op until its change lands (kept so the revision chain stays linear).
"""

from __future__ import annotations

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
