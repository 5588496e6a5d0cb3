"""Repositories: core models in, core models out; rows stay inside storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.availability import WeeklyAvailability
from bot.core.errors import Conflict
from bot.core.models import (
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    Platform,
    RequestStatus,
)
from bot.core.vocab import InterviewType, Level, RolePreference
from bot.storage.tables import CommunityRow, MemberRow, RequestRow


def _community(row: CommunityRow) -> Community:
    return Community(
        id=row.id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        name=row.name,
        settings=CommunitySettings.from_json(row.settings),
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


def _member_values(member: Member) -> dict[str, object]:
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


def request_from_row(row: RequestRow) -> InterviewRequest:
    return InterviewRequest(
        id=row.id,
        community_id=row.community_id,
        member_id=row.member_id,
        interview_type=InterviewType(row.interview_type),
        role=RolePreference(row.role),
        window_start=row.window_start,
        window_end=row.window_end,
        created_at=row.created_at,
        status=RequestStatus(row.status),
        live=row.live,
        times_left_out=row.times_left_out,
        last_left_out_reason=row.last_left_out_reason,
        priority=row.priority,
        session_id=row.session_id,
    )


def _request_values(req: InterviewRequest) -> dict[str, object]:
    return {
        "id": req.id,
        "community_id": req.community_id,
        "member_id": req.member_id,
        "interview_type": req.interview_type.value,
        "role": req.role.value,
        "window_start": req.window_start,
        "window_end": req.window_end,
        "created_at": req.created_at,
        "status": req.status.value,
        "live": req.live,
        "times_left_out": req.times_left_out,
        "last_left_out_reason": req.last_left_out_reason,
        "priority": req.priority,
        "session_id": req.session_id,
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
                CommunityRow.platform == platform.value, CommunityRow.external_id == external_id
            )
        )
        row = result.scalar_one_or_none()
        return _community(row) if row else None

    async def add(self, community: Community) -> None:
        self._s.add(
            CommunityRow(
                id=community.id,
                platform=community.platform.value,
                external_id=community.external_id,
                name=community.name,
                settings=community.settings.to_json(),
            )
        )
        await self._s.flush()

    async def save_settings(self, community_id: str, settings: CommunitySettings) -> None:
        row = await self._s.get(CommunityRow, community_id)
        if row is not None:
            row.settings = settings.to_json()
            await self._s.flush()

    async def list(self) -> list[Community]:
        result = await self._s.execute(select(CommunityRow).order_by(CommunityRow.name))
        return [_community(r) for r in result.scalars()]


class SqlMemberRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, member_id: str) -> Member | None:
        row = await self._s.get(MemberRow, member_id)
        return member_from_row(row) if row else None

    async def get_many(self, member_ids: Sequence[str]) -> dict[str, Member]:
        if not member_ids:
            return {}
        result = await self._s.execute(select(MemberRow).where(MemberRow.id.in_(list(member_ids))))  # type: ignore[attr-defined]
        return {row.id: member_from_row(row) for row in result.scalars()}

    async def find(self, community_id: str, external_id: str) -> Member | None:
        result = await self._s.execute(
            select(MemberRow).where(
                MemberRow.community_id == community_id, MemberRow.external_id == external_id
            )
        )
        row = result.scalar_one_or_none()
        return member_from_row(row) if row else None

    async def find_by_name(self, community_id: str, display_name: str) -> Member | None:
        result = await self._s.execute(
            select(MemberRow).where(
                MemberRow.community_id == community_id, MemberRow.display_name == display_name
            )
        )
        row = result.scalars().first()
        return member_from_row(row) if row else None

    async def add(self, member: Member) -> None:
        self._s.add(MemberRow(**_member_values(member)))
        await self._s.flush()

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
            select(MemberRow).where(MemberRow.community_id == community_id).order_by(MemberRow.display_name)
        )
        return [member_from_row(r) for r in result.scalars()]

    async def delete(self, member_id: str) -> None:
        row = await self._s.get(MemberRow, member_id)
        if row is not None:
            await self._s.delete(row)
            await self._s.flush()


class SqlRequestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, request_id: str) -> InterviewRequest | None:
        row = await self._s.get(RequestRow, request_id)
        return request_from_row(row) if row else None

    async def add(self, request: InterviewRequest) -> None:
        try:
            async with self._s.begin_nested():
                self._s.add(RequestRow(**_request_values(request)))
                await self._s.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"You already have an open {request.interview_type.label} request. "
                "Cancel it with `/mock cancel` or wait for your match."
            ) from exc

    async def save(self, request: InterviewRequest) -> None:
        row = await self._s.get(RequestRow, request.id)
        if row is None:
            await self.add(request)
            return
        for key, value in _request_values(request).items():
            setattr(row, key, value)
        await self._s.flush()

    async def open_for_member(self, member_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(RequestRow.member_id == member_id, RequestRow.status == RequestStatus.OPEN.value)
            .order_by(RequestRow.created_at)
        )
        return [request_from_row(r) for r in result.scalars()]

    async def list_open(self, community_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(RequestRow.community_id == community_id, RequestRow.status == RequestStatus.OPEN.value)
            .order_by(RequestRow.created_at, RequestRow.id)
        )
        return [request_from_row(r) for r in result.scalars()]

    async def for_member(self, member_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow).where(RequestRow.member_id == member_id).order_by(RequestRow.created_at)
        )
        return [request_from_row(r) for r in result.scalars()]
