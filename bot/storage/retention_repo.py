"""Retention: deleting a community's old rows (``bot/core/services/retention.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import ActionStatus, OutboxStatus
from bot.storage.queries import table_of
from bot.storage.tables import MatchRoundRow, OutboxRow, ScheduledActionRow

A = table_of(ScheduledActionRow)
OUT = table_of(OutboxRow)
R = table_of(MatchRoundRow)
FINISHED = (ActionStatus.DONE.value, ActionStatus.SKIPPED.value, ActionStatus.FAILED.value)


class SqlRetentionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def purge(
        self, community_id: str, before: datetime, *, keep_step: str | None = None
    ) -> dict[str, int]:
        """Three DELETEs through the (status, …) and (community, ran_at) indexes' columns."""
        finished_before = or_(
            A.c.finished_at < before, and_(A.c.finished_at.is_(None), A.c.due_at < before)
        )
        steps = delete(A).where(
            A.c.community_id == community_id, A.c.status.in_(FINISHED), finished_before
        )
        if keep_step is not None:
            steps = steps.where(A.c.id != keep_step)
        sent = delete(OUT).where(
            OUT.c.community_id == community_id,
            OUT.c.status == OutboxStatus.SENT.value,
            OUT.c.created_at < before,
        )
        rounds = delete(R).where(R.c.community_id == community_id, R.c.ran_at < before)
        removed = {}
        for name, statement in (("steps", steps), ("messages", sent), ("rounds", rounds)):
            result: Any = await self._s.execute(statement)
            removed[name] = int(result.rowcount or 0)
        return removed
