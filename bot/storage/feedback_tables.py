"""The feedback table (imported from :mod:`bot.storage.tables` so the metadata holds it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _fk(target: str, *, index: bool = True) -> Any:
    return Field(
        sa_column=Column(
            String(32), ForeignKey(target, ondelete="CASCADE"), nullable=False, index=index
        )
    )


def _when(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class FeedbackRow(SQLModel, table=True):
    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint(
            "session_id", "part", "author_id", "role", name="uq_feedback_session_part_author_role"
        ),
        Index("ix_feedback_subject_submitted", "subject_id", "submitted_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    session_id: str = _fk("sessions.id")
    part: int = 1
    author_id: str = _fk("members.id")
    subject_id: str = _fk("members.id", index=False)
    role: str = Field(max_length=16)
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    verdict: str | None = Field(default=None, max_length=16)
    help_needed: str | None = Field(default=None, max_length=64)
    strengths: str = Field(default="", max_length=1000)
    improvements: str = Field(default="", max_length=1000)
    admin_note: str | None = Field(default=None, max_length=1000)
    interviewer_ratings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    prompt_quality: int | None = None
    submitted_at: datetime = _when()
    updated_at: datetime = _when()
    revealed_at: datetime | None = _when(nullable=True)
