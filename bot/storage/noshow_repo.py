"""The no-show repository: reports of an absent partner."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import (
    NoShowReport,
)
from bot.storage.queries import insert_ignore, rowcount
from bot.storage.tables import (
    NoShowRow,
)


class SqlNoShowRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, report: NoShowReport, report_id: str) -> bool:
        values = {
            "id": report_id,
            "session_id": report.session_id,
            "reporter_id": report.reporter_id,
            "absent_id": report.absent_id,
            "reported_at": report.reported_at,
            "cleared": False,
        }
        stmt = insert_ignore(self._s, NoShowRow, values, ("session_id", "reporter_id"))
        result = await self._s.execute(stmt)
        return rowcount(result) > 0

    async def for_members(self, member_ids: Sequence[str]) -> list[NoShowReport]:
        if not member_ids:
            return []
        result = await self._s.execute(
            select(NoShowRow).where(
                col(NoShowRow.absent_id).in_(list(member_ids)), col(NoShowRow.cleared).is_(False)
            )
        )
        return [
            NoShowReport(r.session_id, r.reporter_id, r.absent_id, r.reported_at, r.cleared)
            for r in result.scalars()
        ]

    async def clear_for(self, member_id: str) -> int:
        result = await self._s.execute(
            update(NoShowRow)
            .where(col(NoShowRow.absent_id) == member_id, col(NoShowRow.cleared).is_(False))
            .values(cleared=True)
        )
        return rowcount(result)
