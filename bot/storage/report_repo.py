"""The report repository: members' reports about a session's partner, and suspensions from
matching (both read by admins; suspensions also by every matching round)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from bot.core.report_models import Report, ReportReason, ReportStatus, Suspension
from bot.storage.queries import chunks, insert_ignore, rowcount
from bot.storage.report_tables import ReportRow, SuspensionRow


def _report(r: ReportRow) -> Report:
    return Report(
        id=r.id,
        community_id=r.community_id,
        session_id=r.session_id,
        reporter_id=r.reporter_id,
        reported_id=r.reported_id,
        reason=ReportReason(r.reason),
        text=r.text,
        created_at=r.created_at,
        status=ReportStatus(r.status),
        resolved_by=r.resolved_by,
        resolved_at=r.resolved_at,
    )


def _suspension(r: SuspensionRow) -> Suspension:
    return Suspension(
        id=r.id,
        community_id=r.community_id,
        member_id=r.member_id,
        starts_at=r.starts_at,
        ends_at=r.ends_at,
        reason=r.reason,
        created_by=r.created_by,
        lifted_at=r.lifted_at,
        lifted_by=r.lifted_by,
    )


def _in_force(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(SuspensionRow.lifted_at).is_(None),
        col(SuspensionRow.starts_at) <= now,
        col(SuspensionRow.ends_at) > now,
    )


class SqlReportRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, report: Report) -> bool:
        values = {
            "id": report.id,
            "community_id": report.community_id,
            "session_id": report.session_id,
            "reporter_id": report.reporter_id,
            "reported_id": report.reported_id,
            "reason": report.reason.value,
            "text": report.text,
            "status": report.status.value,
            "created_at": report.created_at,
            "resolved_by": report.resolved_by,
            "resolved_at": report.resolved_at,
        }
        stmt = insert_ignore(self._s, ReportRow, values, ("session_id", "reporter_id"))
        return rowcount(await self._s.execute(stmt)) > 0

    async def get(self, report_id: str) -> Report | None:
        row = await self._s.get(ReportRow, report_id)
        return _report(row) if row is not None else None

    async def by_reporter(self, session_id: str, reporter_id: str) -> Report | None:
        result = await self._s.execute(
            select(ReportRow).where(
                col(ReportRow.session_id) == session_id, col(ReportRow.reporter_id) == reporter_id
            )
        )
        row = result.scalars().first()
        return _report(row) if row is not None else None

    async def reported_sessions(self, reporter_id: str, session_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(list(session_ids)):
            result = await self._s.execute(
                select(col(ReportRow.session_id)).where(
                    col(ReportRow.reporter_id) == reporter_id,
                    col(ReportRow.session_id).in_(list(part)),
                )
            )
            found.update(result.scalars())
        return found

    async def for_community(self, community_id: str, *, limit: int) -> list[Report]:
        open_first = case((col(ReportRow.status) == ReportStatus.OPEN.value, 0), else_=1)
        result = await self._s.execute(
            select(ReportRow)
            .where(col(ReportRow.community_id) == community_id)
            .order_by(open_first, col(ReportRow.created_at).desc(), col(ReportRow.id))
            .limit(limit)
        )
        return [_report(r) for r in result.scalars()]

    async def resolve(self, report_id: str, by: str, when: datetime) -> bool:
        result = await self._s.execute(
            update(ReportRow)
            .where(col(ReportRow.id) == report_id, col(ReportRow.status) == ReportStatus.OPEN.value)
            .values(status=ReportStatus.RESOLVED.value, resolved_by=by, resolved_at=when)
        )
        return rowcount(result) > 0

    async def add_suspension(self, suspension: Suspension) -> None:
        self._s.add(
            SuspensionRow(
                id=suspension.id,
                community_id=suspension.community_id,
                member_id=suspension.member_id,
                starts_at=suspension.starts_at,
                ends_at=suspension.ends_at,
                reason=suspension.reason,
                created_by=suspension.created_by,
                lifted_at=suspension.lifted_at,
                lifted_by=suspension.lifted_by,
            )
        )
        await self._s.flush()

    async def get_suspension(self, suspension_id: str) -> Suspension | None:
        row = await self._s.get(SuspensionRow, suspension_id)
        return _suspension(row) if row is not None else None

    async def active_suspension(self, member_id: str, now: datetime) -> Suspension | None:
        result = await self._s.execute(
            select(SuspensionRow)
            .where(col(SuspensionRow.member_id) == member_id, *_in_force(now))
            .order_by(col(SuspensionRow.ends_at).desc())
            .limit(1)
        )
        row = result.scalars().first()
        return _suspension(row) if row is not None else None

    async def suspended_members(self, community_id: str, now: datetime) -> set[str]:
        result = await self._s.execute(
            select(col(SuspensionRow.member_id))
            .where(col(SuspensionRow.community_id) == community_id, *_in_force(now))
            .distinct()
        )
        return set(result.scalars())

    async def lift(self, member_id: str, by: str, now: datetime) -> int:
        result = await self._s.execute(
            update(SuspensionRow)
            .where(col(SuspensionRow.member_id) == member_id, *_in_force(now))
            .values(lifted_at=now, lifted_by=by)
        )
        return rowcount(result)

    async def suspensions(self, community_id: str, *, limit: int) -> list[Suspension]:
        result = await self._s.execute(
            select(SuspensionRow)
            .where(col(SuspensionRow.community_id) == community_id)
            .order_by(col(SuspensionRow.starts_at).desc(), col(SuspensionRow.id))
            .limit(limit)
        )
        return [_suspension(r) for r in result.scalars()]
