"""The prompt pack repository: :class:`bot.core.pack_models.StoredPack` in and out."""

from __future__ import annotations

import builtins

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.pack_models import StoredPack
from bot.storage.pack_tables import PromptPackRow


def _pack(row: PromptPackRow) -> StoredPack:
    return StoredPack(
        id=row.id,
        community_id=row.community_id,
        name=row.name,
        format=row.format,
        content=row.content,
        imported_by=row.imported_by,
        imported_by_name=row.imported_by_name,
        imported_at=row.imported_at,
    )


class SqlPromptPackRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, community_id: str, name: str) -> StoredPack | None:
        row = (
            await self._s.execute(
                select(PromptPackRow).where(
                    col(PromptPackRow.community_id) == community_id, col(PromptPackRow.name) == name
                )
            )
        ).scalar_one_or_none()
        return _pack(row) if row is not None else None

    async def list(self, community_id: str) -> list[StoredPack]:
        rows = (
            await self._s.execute(
                select(PromptPackRow)
                .where(col(PromptPackRow.community_id) == community_id)
                .order_by(col(PromptPackRow.name))
            )
        ).scalars()
        return [_pack(r) for r in rows]

    async def all(self) -> builtins.list[StoredPack]:
        rows = (
            await self._s.execute(
                select(PromptPackRow).order_by(
                    col(PromptPackRow.community_id), col(PromptPackRow.name)
                )
            )
        ).scalars()
        return [_pack(r) for r in rows]

    async def save(self, pack: StoredPack) -> None:
        # Delete-then-insert in this transaction: the row id changes, so caches keyed by
        # the ids (stamps) see the new version.
        await self.delete(pack.community_id, pack.name)
        self._s.add(
            PromptPackRow(
                id=pack.id,
                community_id=pack.community_id,
                name=pack.name,
                format=pack.format,
                content=pack.content,
                imported_by=pack.imported_by,
                imported_by_name=pack.imported_by_name,
                imported_at=pack.imported_at,
            )
        )
        await self._s.flush()

    async def delete(self, community_id: str, name: str) -> bool:
        result = await self._s.execute(
            delete(PromptPackRow).where(
                col(PromptPackRow.community_id) == community_id, col(PromptPackRow.name) == name
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def stamps(self, community_id: str) -> tuple[str, ...]:
        ids = (
            await self._s.execute(
                select(col(PromptPackRow.id))
                .where(col(PromptPackRow.community_id) == community_id)
                .order_by(col(PromptPackRow.id))
            )
        ).scalars()
        return tuple(ids)
