"""The community repository: :class:`bot.core.models.Community` in and out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import (
    Community,
    CommunitySettings,
    Platform,
)
from bot.storage.queries import RowValues, insert_ignore
from bot.storage.tables import (
    CommunityRow,
)


def _community(row: CommunityRow) -> Community:
    return Community(
        id=row.id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        name=row.name,
        settings=CommunitySettings.from_json(row.settings),
    )


def _community_values(community: Community) -> RowValues:
    return {
        "id": community.id,
        "platform": community.platform.value,
        "external_id": community.external_id,
        "name": community.name,
        "settings": community.settings.to_json(),
    }


class SqlCommunityRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, community_id: str) -> Community | None:
        row = await self._s.get(CommunityRow, community_id)
        return _community(row) if row else None

    async def find(self, platform: Platform, external_id: str) -> Community | None:
        result = await self._s.execute(
            select(CommunityRow).where(
                col(CommunityRow.platform) == platform.value,
                col(CommunityRow.external_id) == external_id,
            )
        )
        row = result.scalar_one_or_none()
        return _community(row) if row else None

    async def add(self, community: Community) -> None:
        self._s.add(CommunityRow(**_community_values(community)))
        await self._s.flush()

    async def add_or_get(self, community: Community) -> Community:
        """Insert unless the platform's community exists (one statement, safe against a
        simultaneous first contact); the stored community either way."""
        stmt = insert_ignore(
            self._s, CommunityRow, _community_values(community), ("platform", "external_id")
        )
        await self._s.execute(stmt)
        found = await self.find(community.platform, community.external_id)
        assert found is not None
        return found

    async def save_settings(self, community_id: str, settings: CommunitySettings) -> None:
        row = await self._s.get(CommunityRow, community_id)
        if row is not None:
            row.settings = settings.to_json()
            await self._s.flush()

    async def list(self) -> list[Community]:
        result = await self._s.execute(select(CommunityRow).order_by(col(CommunityRow.name)))
        return [_community(r) for r in result.scalars()]
