"""The reports and suspensions tables (imported from :mod:`bot.storage.tables` so the metadata
holds them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _fk(target: str, *, index: bool = True, nullable: bool = False) -> Any:
    return Field(
        sa_column=Column(
            String(32), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
        )
    )


def _when(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class ReportRow(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("session_id", "reporter_id", name="uq_reports_session_reporter"),
        Index("ix_reports_community_status_created", "community_id", "status", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id", index=False)
    session_id: str = _fk("sessions.id", index=False)
    reporter_id: str = _fk("members.id")
    reported_id: str = _fk("members.id")
    reason: str = Field(max_length=32)
    text: str = Field(default="", max_length=1000)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = _when()
    resolved_by: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = _when(nullable=True)


class SuspensionRow(SQLModel, table=True):
    __tablename__ = "suspensions"
    __table_args__ = (Index("ix_suspensions_community_ends", "community_id", "ends_at"),)

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id", index=False)
    member_id: str = _fk("members.id")
    starts_at: datetime = _when()
    ends_at: datetime = _when()
    reason: str = Field(default="", max_length=300)
    created_by: str = Field(max_length=32)
    lifted_at: datetime | None = _when(nullable=True)
    lifted_by: str | None = Field(default=None, max_length=32)
