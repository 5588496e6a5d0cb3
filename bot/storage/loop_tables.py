"""The loops table: a member's mock loop, its rounds as booked and its debrief (imported from
:mod:`bot.storage.tables` so the metadata holds it). Its rounds' requests carry its id
(``interview_requests.loop_id``); their sessions are reached through those requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _when(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class LoopRow(SQLModel, table=True):
    __tablename__ = "loops"
    __table_args__ = (
        Index("ix_loops_member", "member_id", "created_at"),
        # One running loop per member, enforced by the database too.
        Index(
            "uq_loops_member_active",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_loops_community_debriefed", "community_id", "debriefed_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("communities.id", ondelete="CASCADE"), nullable=False
        )
    )
    member_id: str = Field(
        sa_column=Column(String(32), ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    )
    template_id: str = Field(max_length=40)
    template_name: str = Field(max_length=80)
    track: str = Field(max_length=40)
    level: str = Field(max_length=16)
    rounds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = _when()
    ends_at: datetime = _when()
    created_at: datetime = _when()
    status: str = Field(default="active", max_length=16)
    debrief: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    debriefed_at: datetime | None = _when(nullable=True)
