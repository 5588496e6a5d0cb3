"""The interview request repository: :class:`bot.core.models.InterviewRequest` in and out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.errors import Conflict
from bot.core.models import (
    InterviewRequest,
    RequestStatus,
)
from bot.core.vocab import InterviewType, RolePreference
from bot.storage import queries
from bot.storage.queries import RowValues, dialect_name, rowcount
from bot.storage.tables import (
    RequestRow,
    SessionRow,
)


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
        loop_id=row.loop_id,
    )


def _request_values(req: InterviewRequest) -> RowValues:
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
        "loop_id": req.loop_id,
    }


class SqlRequestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, request_id: str, *, for_update: bool = False) -> InterviewRequest | None:
        if not for_update:
            row = await self._s.get(RequestRow, request_id)
            return request_from_row(row) if row else None
        stmt = select(RequestRow).where(col(RequestRow.id) == request_id)
        if dialect_name(self._s) == "postgresql":
            stmt = stmt.with_for_update()
        else:  # SQLite: take the write lock first, so a second writer waits and reads what the first wrote
            await self._s.execute(
                update(RequestRow)
                .where(col(RequestRow.id) == request_id)
                .values(status=col(RequestRow.status))
            )
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
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
        """Update the row in one statement (no read first); insert it when there is none."""
        values = _request_values(request)
        values.pop("id")
        result = await self._s.execute(
            update(RequestRow).where(col(RequestRow.id) == request.id).values(**values)
        )
        if not rowcount(result):
            await self.add(request)

    async def open_for_member(self, member_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(
                col(RequestRow.member_id) == member_id,
                col(RequestRow.status) == RequestStatus.OPEN.value,
            )
            .order_by(col(RequestRow.created_at))
        )
        return [request_from_row(r) for r in result.scalars()]

    async def list_open(self, community_id: str) -> list[InterviewRequest]:
        # Streamed in partitions: thousands of open requests become objects a piece at a
        # time, the event loop getting its turn between pieces (docs/scaling.md).
        # Plain rows, not ORM instances (no identity map to fill and walk).
        requests = queries.table_of(RequestRow)
        result = await self._s.stream(
            select(requests)
            .where(
                requests.c.community_id == community_id,
                requests.c.status == RequestStatus.OPEN.value,
            )
            .order_by(requests.c.created_at, requests.c.id)
        )
        return [
            request_from_row(cast(RequestRow, r))
            async for part in result.partitions(queries.STREAM_PARTITION)
            for r in part
        ]

    async def for_member(self, member_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(col(RequestRow.member_id) == member_id)
            .order_by(col(RequestRow.created_at))
        )
        return [request_from_row(r) for r in result.scalars()]

    async def matched_waits(
        self, community_id: str, kind: InterviewType, since: datetime
    ) -> list[timedelta]:
        """How long each request of ``kind`` waited, for those paired in rounds since ``since``
        (from the request to its session's booking). A chosen pair (an accepted invitation, an
        admin's hand pairing) is booked on requests made at the booking itself: it waited for
        no round, so it is left out rather than counted as no wait."""
        result = await self._s.execute(
            select(col(RequestRow.created_at), col(SessionRow.created_at))
            .join(SessionRow, col(SessionRow.id) == col(RequestRow.session_id))
            .where(
                col(RequestRow.community_id) == community_id,
                col(RequestRow.interview_type) == kind.value,
                col(RequestRow.live).is_(False),
                col(SessionRow.created_at) >= since,
                col(RequestRow.created_at) < col(SessionRow.created_at),
            )
        )
        return [
            max(booked - asked, timedelta(0)) for asked, booked in result.all() if asked and booked
        ]
