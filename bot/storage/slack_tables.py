"""Slack OAuth tables: workspace installations, their bots, and install states.

Imported from :mod:`bot.storage.tables` so the metadata (and Alembic) holds them. The
store that reads and writes them is :mod:`bot.storage.slack_installations`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime

#: Token columns hold encrypted tokens (bot/storage/token_cipher.py; migration 0011).
TOKEN_LENGTH = 1024


def _when(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class SlackInstallationRow(SQLModel, table=True):
    """One OAuth install (a workspace, or an organisation for org-wide installs); every
    install is a new row and the newest wins."""

    __tablename__ = "slack_installations"
    __table_args__ = (
        Index(
            "ix_slack_installations_lookup",
            "client_id",
            "enterprise_id",
            "team_id",
            "user_id",
            "installed_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64)
    app_id: str | None = Field(default=None, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    enterprise_name: str | None = Field(default=None, max_length=200)
    enterprise_url: str | None = Field(default=None, max_length=200)
    team_id: str | None = Field(default=None, max_length=32)
    team_name: str | None = Field(default=None, max_length=200)
    bot_token: str | None = Field(default=None, max_length=TOKEN_LENGTH)
    bot_id: str | None = Field(default=None, max_length=32)
    bot_user_id: str | None = Field(default=None, max_length=32)
    bot_scopes: str | None = Field(default=None, max_length=1000)
    bot_refresh_token: str | None = Field(default=None, max_length=TOKEN_LENGTH)
    bot_token_expires_at: datetime | None = _when()
    user_id: str = Field(max_length=32)
    user_token: str | None = Field(default=None, max_length=TOKEN_LENGTH)
    user_scopes: str | None = Field(default=None, max_length=1000)
    user_refresh_token: str | None = Field(default=None, max_length=TOKEN_LENGTH)
    user_token_expires_at: datetime | None = _when()
    incoming_webhook_url: str | None = Field(default=None, max_length=255)
    incoming_webhook_channel: str | None = Field(default=None, max_length=200)
    incoming_webhook_channel_id: str | None = Field(default=None, max_length=32)
    incoming_webhook_configuration_url: str | None = Field(default=None, max_length=255)
    is_enterprise_install: bool = False
    token_type: str | None = Field(default=None, max_length=32)
    installed_at: datetime = _when(nullable=False)


class SlackBotRow(SQLModel, table=True):
    """The bot of an install (what answering a workspace's requests needs); newest wins."""

    __tablename__ = "slack_bots"
    __table_args__ = (
        Index("ix_slack_bots_lookup", "client_id", "enterprise_id", "team_id", "installed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64)
    app_id: str | None = Field(default=None, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    enterprise_name: str | None = Field(default=None, max_length=200)
    team_id: str | None = Field(default=None, max_length=32)
    team_name: str | None = Field(default=None, max_length=200)
    bot_token: str | None = Field(default=None, max_length=TOKEN_LENGTH)
    bot_id: str | None = Field(default=None, max_length=32)
    bot_user_id: str | None = Field(default=None, max_length=32)
    bot_scopes: str | None = Field(default=None, max_length=1000)
    bot_refresh_token: str | None = Field(default=None, max_length=TOKEN_LENGTH)
    bot_token_expires_at: datetime | None = _when()
    is_enterprise_install: bool = False
    installed_at: datetime = _when(nullable=False)


class SlackOAuthStateRow(SQLModel, table=True):
    """A state handed out by ``/slack/install``: valid once, until it expires."""

    __tablename__ = "slack_oauth_states"

    state: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
