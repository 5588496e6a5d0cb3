"""The matching round repository: round records, and the per-community round lock."""

from __future__ import annotations

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import (
    RoundRecord,
)
from bot.storage.queries import dialect_name
from bot.storage.tables import (
    CommunityRow,
    MatchRoundRow,
)


class SqlRoundRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, record: RoundRecord) -> None:
        self._s.add(
            MatchRoundRow(
                id=record.id,
                community_id=record.community_id,
                ran_at=record.ran_at,
                considered=list(record.considered),
                paired=[list(p) for p in record.paired],
                left_out=[list(x) for x in record.left_out],
            )
        )
        await self._s.flush()

    async def latest(self, community_id: str, limit: int = 20) -> list[RoundRecord]:
        result = await self._s.execute(
            select(MatchRoundRow)
            .where(col(MatchRoundRow.community_id) == community_id)
            .order_by(col(MatchRoundRow.ran_at).desc())
            .limit(limit)
        )
        return [
            RoundRecord(
                id=r.id,
                community_id=r.community_id,
                ran_at=r.ran_at,
                considered=tuple(r.considered),
                paired=tuple((p[0], p[1], p[2]) for p in r.paired),
                left_out=tuple((x[0], x[1], x[2]) for x in r.left_out),
            )
            for r in result.scalars()
        ]

    async def lock_community(self, community_id: str) -> None:
        """Serialise matching rounds of one community across processes (held until commit)."""
        if dialect_name(self._s) == "postgresql":
            await self._s.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"peerloop-round:{community_id}"},
            )
        else:
            await self._s.execute(
                update(CommunityRow)
                .where(col(CommunityRow.id) == community_id)
                .values(name=col(CommunityRow.name))
            )
