"""What weekly digests read (the core's ``DigestRepo``): plain rows, one query per method.

Each method selects only the columns a digest needs for one community and a time range, so
the number of queries for a community's digests is fixed whatever its number of members.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, and_, case, or_, select, type_coerce, union_all
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util.typing import TupleAny

from bot.core.digest import DigestFeedback, DigestMember, DigestRequest, DigestSession
from bot.core.feedback_models import FeedbackRole
from bot.core.models import SessionState
from bot.core.vocab import RolePreference
from bot.storage import queries
from bot.storage.feedback_tables import FeedbackRow
from bot.storage.queries import table_of
from bot.storage.tables import MemberRow, NoShowRow, RequestRow, SessionRow

M = table_of(MemberRow).c
SESSIONS = table_of(SessionRow)
S = SESSIONS.c
F = table_of(FeedbackRow).c
R = table_of(RequestRow).c
N = table_of(NoShowRow).c


def _zone_filter(zones: Sequence[str | None]) -> Any:
    named = [z for z in zones if z]
    clauses = [M.timezone.in_(named)] if named else []
    if any(not z for z in zones):
        clauses.append(M.timezone.is_(None))
    return or_(*clauses) if clauses else M.id.is_(None)


class SqlDigestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _parts(self, stmt: Any) -> AsyncIterator[Sequence[Row[*TupleAny]]]:
        """The rows in partitions: a whole community's rows become objects a piece at a time,
        the event loop getting its turn between pieces (docs/scaling.md, "Event-loop lag")."""
        result = await self._s.stream(stmt)
        async for part in result.partitions(queries.STREAM_PARTITION):
            yield part

    async def members(self, community_id: str) -> list[DigestMember]:
        parts = self._parts(
            select(
                M.id, M.display_name, M.timezone, M.level, M.digest_opt_out, M.digest_nudge
            ).where(M.community_id == community_id)
        )
        return [
            DigestMember(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]))
            async for part in parts
            for r in part
        ]

    async def zones(self, community_id: str) -> list[str | None]:
        result = await self._s.execute(
            select(M.timezone)
            .where(M.community_id == community_id, M.digest_opt_out.is_(False))
            .distinct()
        )
        return [r[0] for r in result.all()]

    async def sessions(
        self, community_id: str, start_from: datetime, start_before: datetime
    ) -> list[DigestSession]:
        parts = self._parts(
            select(
                S.id,
                S.interview_type,
                S.interviewer_id,
                S.candidate_id,
                S.swap,
                S.start,
                S.minutes,
                S.state,
            ).where(S.community_id == community_id, S.start >= start_from, S.start < start_before)
        )
        return [
            DigestSession(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], SessionState(r[7]))
            async for part in parts
            for r in part
        ]

    async def attended_starts(
        self, community_id: str, start_from: datetime, start_before: datetime
    ) -> list[tuple[str, datetime]]:
        absent = select(N.id).where(N.session_id == S.id, N.cleared.is_(False))
        selects = []
        for who in (S.interviewer_id, S.candidate_id):
            turned_up = or_(
                S.state == SessionState.COMPLETED.value,
                and_(
                    S.state == SessionState.NO_SHOW.value,
                    ~absent.where(N.absent_id == who).exists(),
                ),
            )
            selects.append(
                select(who, S.start).where(
                    S.community_id == community_id,
                    S.start >= start_from,
                    S.start < start_before,
                    turned_up,
                )
            )
        return [(r[0], r[1]) async for part in self._parts(union_all(*selects)) for r in part]

    async def feedback(
        self,
        community_id: str,
        submitted_from: datetime,
        submitted_before: datetime,
        zones: Sequence[str | None] | None = None,
        *,
        recent_from: datetime | None = None,
    ) -> list[DigestFeedback]:
        interviewer = F.role == FeedbackRole.INTERVIEWER.value
        # Self-scores are private: only interviewer rows carry their scores out of the database.
        scores = type_coerce(case((interviewer, F.scores), else_=None), JSON)
        stmt = (
            select(
                F.session_id,
                F.part,
                F.author_id,
                F.subject_id,
                F.role,
                S.interview_type,
                scores,
                F.submitted_at,
                F.revealed_at,
            )
            .join(SESSIONS, S.id == F.session_id)
            .where(
                S.community_id == community_id,
                F.submitted_at >= submitted_from,
                F.submitted_at < submitted_before,
            )
        )
        if recent_from is not None:
            stmt = stmt.where(or_(interviewer, F.submitted_at >= recent_from))
        if zones is not None:
            in_zones = select(M.id).where(and_(M.community_id == community_id, _zone_filter(zones)))
            stmt = stmt.where(or_(F.subject_id.in_(in_zones), F.author_id.in_(in_zones)))
        return [
            DigestFeedback(
                r[0],
                r[1],
                r[2],
                r[3],
                FeedbackRole(r[4]),
                r[5],
                {str(k): int(v) for k, v in (r[6] or {}).items()},
                r[7],
                r[8],
            )
            async for part in self._parts(stmt)
            for r in part
        ]

    async def requests(
        self, community_id: str, created_from: datetime, created_before: datetime
    ) -> list[DigestRequest]:
        parts = self._parts(
            select(R.member_id, R.interview_type, R.role, R.status, R.created_at).where(
                R.community_id == community_id,
                R.created_at >= created_from,
                R.created_at < created_before,
            )
        )
        return [
            DigestRequest(r[0], r[1], RolePreference(r[2]), r[3], r[4])
            async for part in parts
            for r in part
        ]
