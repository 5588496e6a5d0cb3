"""The loop repository: :class:`bot.core.loop_models.Loop` in and out, its rounds' requests,
and the partners its member already met in it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.errors import Conflict
from bot.core.loop_models import Loop, LoopStatus
from bot.core.models import InterviewRequest, SessionState
from bot.core.vocab import InterviewType, Level
from bot.storage.loop_tables import LoopRow
from bot.storage.queries import dialect_name
from bot.storage.request_repo import request_from_row
from bot.storage.tables import RequestRow, SessionRow


def loop_from_row(row: LoopRow) -> Loop:
    return Loop(
        id=row.id,
        community_id=row.community_id,
        member_id=row.member_id,
        template_id=row.template_id,
        template_name=row.template_name,
        track=row.track,
        level=Level(row.level),
        rounds=tuple(InterviewType(t) for t in row.rounds),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_at=row.created_at,
        status=LoopStatus(row.status),
        debrief=row.debrief,
        debriefed_at=row.debriefed_at,
    )


def _values(loop: Loop) -> dict[str, Any]:
    return {
        "id": loop.id,
        "community_id": loop.community_id,
        "member_id": loop.member_id,
        "template_id": loop.template_id,
        "template_name": loop.template_name,
        "track": loop.track,
        "level": loop.level.value,
        "rounds": [t.value for t in loop.rounds],
        "starts_at": loop.starts_at,
        "ends_at": loop.ends_at,
        "created_at": loop.created_at,
        "status": loop.status.value,
        "debrief": loop.debrief,
        "debriefed_at": loop.debriefed_at,
    }


class SqlLoopRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, loop: Loop) -> None:
        try:
            async with self._s.begin_nested():
                self._s.add(LoopRow(**_values(loop)))
                await self._s.flush()
        except IntegrityError as exc:
            raise Conflict(
                "You already have a loop running. See it with `/mock loop status`, or cancel "
                "it with `/mock loop cancel`."
            ) from exc

    async def get(self, loop_id: str, *, for_update: bool = False) -> Loop | None:
        stmt = select(LoopRow).where(col(LoopRow.id) == loop_id)
        if for_update:
            if dialect_name(self._s) == "postgresql":
                stmt = stmt.with_for_update()
            else:  # SQLite: take the write lock first, so a second writer reads what the first wrote
                await self._s.execute(
                    update(LoopRow)
                    .where(col(LoopRow.id) == loop_id)
                    .values(status=col(LoopRow.status))
                )
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        return loop_from_row(row) if row else None

    async def save(self, loop: Loop) -> None:
        values = _values(loop)
        values.pop("id")
        await self._s.execute(update(LoopRow).where(col(LoopRow.id) == loop.id).values(**values))

    async def for_member(self, member_id: str) -> list[Loop]:
        result = await self._s.execute(
            select(LoopRow)
            .where(col(LoopRow.member_id) == member_id)
            .order_by(col(LoopRow.created_at).desc(), col(LoopRow.id))
        )
        return [loop_from_row(r) for r in result.scalars()]

    async def requests(self, loop_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(col(RequestRow.loop_id) == loop_id)
            .order_by(col(RequestRow.created_at), col(RequestRow.window_start), col(RequestRow.id))
        )
        return [request_from_row(r) for r in result.scalars()]

    async def partners(self, loop_ids: Sequence[str]) -> list[tuple[str, str, str]]:
        """(loop, interviewer, candidate) of every session booked for the loops' rounds and not
        cancelled."""
        if not loop_ids:
            return []
        result = await self._s.execute(
            select(
                col(RequestRow.loop_id),
                col(SessionRow.interviewer_id),
                col(SessionRow.candidate_id),
            )
            .join(SessionRow, col(SessionRow.id) == col(RequestRow.session_id))
            .where(
                col(RequestRow.loop_id).in_(sorted(set(loop_ids))),
                col(SessionRow.state) != SessionState.CANCELLED.value,
            )
        )
        return [(str(a), str(b), str(c)) for a, b, c in result.all()]

    async def debriefed_between(
        self, community_id: str, since: datetime, until: datetime
    ) -> list[Loop]:
        result = await self._s.execute(
            select(LoopRow)
            .where(
                col(LoopRow.community_id) == community_id,
                col(LoopRow.debriefed_at) > since,
                col(LoopRow.debriefed_at) <= until,
            )
            .order_by(col(LoopRow.debriefed_at))
        )
        return [loop_from_row(r) for r in result.scalars()]
