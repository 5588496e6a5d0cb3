"""The prompt_packs table: community prompt packs as uploaded (imported from
:mod:`bot.storage.tables` so the metadata holds it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _when() -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=False))


class PromptPackRow(SQLModel, table=True):
    __tablename__ = "prompt_packs"
    __table_args__ = (
        UniqueConstraint("community_id", "name", name="uq_prompt_pack_community_name"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=64)
    format: str = Field(max_length=8)
    content: str = Field(sa_column=Column(Text(), nullable=False))
    imported_by: str | None = Field(default=None, max_length=32)
    imported_by_name: str = Field(default="", max_length=80)
    imported_at: datetime = _when()
