"""The form_drafts table: half-filled forms bound to their member (imported from
:mod:`bot.storage.tables` so the metadata holds it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _when(*, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=False, index=index))


class FormDraftRow(SQLModel, table=True):
    __tablename__ = "form_drafts"
    __table_args__ = (Index("ix_form_drafts_owner", "platform", "owner_ref", "action"),)

    id: str = Field(primary_key=True, max_length=32)
    platform: str = Field(max_length=16)
    owner_ref: str = Field(max_length=64)
    action: str = Field(max_length=100)
    form: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    step: int = 0
    created_at: datetime = _when()
    expires_at: datetime = _when(index=True)
