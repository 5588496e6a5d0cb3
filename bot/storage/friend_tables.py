"""The friend_requests table: invitations to practise with a chosen member (imported from
:mod:`bot.storage.tables` so the metadata holds it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _member(*, index: bool) -> Any:
    return Field(
        sa_column=Column(
            String(32), ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=index
        )
    )


def _when(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class FriendRequestRow(SQLModel, table=True):
    __tablename__ = "friend_requests"
    __table_args__ = (Index("ix_friend_requests_requester_status", "requester_id", "status"),)

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("communities.id", ondelete="CASCADE"), nullable=False
        )
    )
    requester_id: str = _member(index=False)
    invitee_id: str = _member(index=True)
    interview_type: str = Field(max_length=32)
    role: str = Field(max_length=16)
    days: int
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)
    session_id: str | None = Field(default=None, max_length=32)
