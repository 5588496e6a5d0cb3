"""storage hardening (pair space claims and similar)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Reserved slot: a no-op until its change lands (kept so the revision chain stays linear).
"""

from __future__ import annotations

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
