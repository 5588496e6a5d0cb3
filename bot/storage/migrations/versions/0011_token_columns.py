"""slack token columns wide enough for encrypted tokens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Tokens encrypted with SECRETS_KEYS (Fernet, base64) are about twice as long as Slack's
plain ones; Slack's rotating tokens (xoxe.…) and refresh tokens then pass 255 characters.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=255),
                    type_=sa.String(length=1024),
                    existing_nullable=True,
                )


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=1024),
                    type_=sa.String(length=255),
                    existing_nullable=True,
                )
