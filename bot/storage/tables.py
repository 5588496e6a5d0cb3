"""Tables (SQLModel). Repositories map these to core models; nothing outside storage sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        sa_column=Column(String(32), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index)
    )


def _when(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: default() if callable(default) else default, sa_column=Column(JSON, nullable=False))


class CommunityRow(SQLModel, table=True):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_community_platform_external"),)

    id: str = Field(primary_key=True, max_length=32)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    settings: dict[str, Any] = _json(dict)


class MemberRow(SQLModel, table=True):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("community_id", "external_id", name="uq_member_community_external"),)

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id")
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    display_name: str = Field(max_length=80)
    timezone: str | None = Field(default=None, max_length=64)
    track: str | None = Field(default=None, max_length=64)
    level: str | None = Field(default=None, max_length=16)
    interview_types: list[str] = _json(list)
    languages: list[str] = _json(list)
    availability: list[list[int]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    blackouts: list[str] = _json(list)
    blocked: list[str] = _json(list)
    digest_opt_out: bool = False
    digest_nudge: bool = True
    is_admin: bool = False
    created_at: datetime | None = _when(nullable=True)


class RequestRow(SQLModel, table=True):
    __tablename__ = "interview_requests"
    __table_args__ = (
        # One open request per member and interview type, enforced by the database too.
        Index(
            "uq_open_request_member_type",
            "member_id",
            "interview_type",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_requests_community_status", "community_id", "status"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id", index=False)
    member_id: str = _fk("members.id")
    interview_type: str = Field(max_length=32)
    role: str = Field(max_length=16)
    window_start: datetime = _when()
    window_end: datetime = _when()
    created_at: datetime = _when()
    status: str = Field(default="open", max_length=16)
    live: bool = False
    times_left_out: int = 0
    last_left_out_reason: str | None = Field(default=None, max_length=300)
    priority: bool = False
    session_id: str | None = Field(default=None, max_length=32)


metadata = SQLModel.metadata
