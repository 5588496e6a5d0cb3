"""The member repository: :class:`bot.core.models.Member` in and out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.availability import WeeklyAvailability
from bot.core.models import (
    Member,
    Platform,
)
from bot.core.vocab import InterviewType, Level
from bot.storage.queries import RowValues, dialect_name, insert_ignore, table_of
from bot.storage.tables import (
    MemberRow,
)


def member_from_row(row: MemberRow) -> Member:
    return Member(
        id=row.id,
        community_id=row.community_id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        display_name=row.display_name,
        timezone=row.timezone,
        track=row.track,
        level=Level(row.level) if row.level else None,
        interview_types=tuple(InterviewType(t) for t in row.interview_types),
        languages=tuple(row.languages),
        availability=WeeklyAvailability.from_json(row.availability) if row.availability else None,
        blackouts=tuple(date.fromisoformat(d) for d in row.blackouts),
        blocked=tuple(row.blocked),
        digest_opt_out=row.digest_opt_out,
        digest_nudge=row.digest_nudge,
        is_admin=row.is_admin,
        created_at=row.created_at,
    )


def _member_values(member: Member) -> RowValues:
    return {
        "id": member.id,
        "community_id": member.community_id,
        "platform": member.platform.value,
        "external_id": member.external_id,
        "display_name": member.display_name,
        "timezone": member.timezone,
        "track": member.track,
        "level": member.level.value if member.level else None,
        "interview_types": [t.value for t in member.interview_types],
        "languages": list(member.languages),
        "availability": member.availability.to_json() if member.availability else None,
        "blackouts": [d.isoformat() for d in member.blackouts],
        "blocked": list(member.blocked),
        "digest_opt_out": member.digest_opt_out,
        "digest_nudge": member.digest_nudge,
        "is_admin": member.is_admin,
        "created_at": member.created_at,
    }


class SqlMemberRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, member_id: str, *, for_update: bool = False) -> Member | None:
        if not for_update:
            row = await self._s.get(MemberRow, member_id)
            return member_from_row(row) if row else None
        stmt = select(MemberRow).where(col(MemberRow.id) == member_id)
        if dialect_name(self._s) == "postgresql":
            # FOR NO KEY UPDATE: it waits for another change of the member, but not for a row
            # that merely references the member (a foreign key check takes KEY SHARE), so two
            # members each locking themselves and writing a row naming the other (reports of
            # each other at once) do not deadlock.
            stmt = stmt.with_for_update(key_share=True)
        else:  # SQLite: take the write lock first, so a simultaneous change waits for this one
            await self._s.execute(
                update(MemberRow)
                .where(col(MemberRow.id) == member_id)
                .values(display_name=col(MemberRow.display_name))
            )
        found = await self._s.execute(stmt.execution_options(populate_existing=True))
        row = found.scalar_one_or_none()
        return member_from_row(row) if row else None

    async def get_many(self, member_ids: Sequence[str]) -> dict[str, Member]:
        if not member_ids:
            return {}
        # Plain rows, not ORM instances: a round reads thousands of members, and an instance
        # each (identity map, attribute state) cost more than the member built from it.
        members = table_of(MemberRow)
        result = await self._s.execute(select(members).where(members.c.id.in_(list(member_ids))))
        return {row.id: member_from_row(cast(MemberRow, row)) for row in result}

    async def find(self, community_id: str, external_id: str) -> Member | None:
        result = await self._s.execute(
            select(MemberRow).where(
                col(MemberRow.community_id) == community_id,
                col(MemberRow.external_id) == external_id,
            )
        )
        row = result.scalar_one_or_none()
        return member_from_row(row) if row else None

    async def find_by_name(self, community_id: str, display_name: str) -> Member | None:
        result = await self._s.execute(
            select(MemberRow).where(
                col(MemberRow.community_id) == community_id,
                col(MemberRow.display_name) == display_name,
            )
        )
        row = result.scalars().first()
        return member_from_row(row) if row else None

    async def add(self, member: Member) -> None:
        self._s.add(MemberRow(**_member_values(member)))
        await self._s.flush()

    async def add_or_get(self, member: Member) -> Member:
        """Insert unless the community's member with that platform id exists (one statement,
        safe against a simultaneous first contact); the stored member either way."""
        stmt = insert_ignore(
            self._s, MemberRow, _member_values(member), ("community_id", "external_id")
        )
        await self._s.execute(stmt)
        found = await self.find(member.community_id, member.external_id)
        assert found is not None
        return found

    async def save(self, member: Member) -> None:
        row = await self._s.get(MemberRow, member.id)
        if row is None:
            await self.add(member)
            return
        for key, value in _member_values(member).items():
            setattr(row, key, value)
        await self._s.flush()

    async def list(self, community_id: str) -> list[Member]:
        result = await self._s.execute(
            select(MemberRow)
            .where(col(MemberRow.community_id) == community_id)
            .order_by(col(MemberRow.display_name))
        )
        return [member_from_row(r) for r in result.scalars()]

    async def delete(self, member_id: str) -> None:
        row = await self._s.get(MemberRow, member_id)
        if row is not None:
            await self._s.delete(row)
            await self._s.flush()
