"""Community figures for admins: five aggregate queries, whatever the community's size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import PLACEHOLDER_PREFIX, RequestStatus, SessionState
from bot.core.stats import CommunityStats, PeriodStats
from bot.storage.feedback_tables import FeedbackRow
from bot.storage.queries import table_of
from bot.storage.tables import MemberRow, RequestRow, SessionRow

#: Typed loosely: these are SQL expressions, not the row classes' Python attributes.
M = table_of(MemberRow).c
R = table_of(RequestRow).c
S = table_of(SessionRow).c
F = table_of(FeedbackRow).c
S_TABLE = table_of(SessionRow)
F_TABLE = table_of(FeedbackRow)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class SqlStatsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def community_stats(
        self, community_id: str, now: datetime, periods: Sequence[int]
    ) -> CommunityStats:
        days = sorted(set(periods))
        since = {d: now - timedelta(days=d) for d in days}
        oldest = since[days[-1]] if days else now

        # 1. members, and those with a complete profile
        complete = and_(
            M.timezone.is_not(None),
            M.track.is_not(None),
            M.level.is_not(None),
            func.json_array_length(M.interview_types) > 0,
        )
        members_row = (
            await self._s.execute(
                select(func.count(), _count_if(complete)).where(
                    M.community_id == community_id, ~M.external_id.startswith(PLACEHOLDER_PREFIX)
                )
            )
        ).one()

        # 2. open requests by interview type
        open_rows = await self._s.execute(
            select(R.interview_type, func.count())
            .where(
                R.community_id == community_id,
                R.status == RequestStatus.OPEN.value,
                R.window_end > now,
            )
            .group_by(R.interview_type)
        )
        open_requests = {str(kind): int(n) for kind, n in open_rows.all()}

        # 3. sessions booked (by booking time) and by outcome (by start), per period
        started = {d: and_(S.start >= since[d], S.start <= now) for d in days}
        session_cols: list[Any] = [S.state]
        for d in days:
            session_cols += [_count_if(S.created_at >= since[d]), _count_if(started[d])]
        session_rows = (
            await self._s.execute(
                select(*session_cols)
                .where(
                    S.community_id == community_id,
                    (S.created_at >= oldest) | (S.start >= oldest),
                )
                .group_by(S.state)
            )
        ).all()

        # 4. requests made per period, by what became of them
        request_cols: list[Any] = [R.status]
        request_cols += [_count_if(R.created_at >= since[d]) for d in days]
        request_rows = (
            await self._s.execute(
                select(*request_cols)
                .where(R.community_id == community_id, R.created_at >= oldest)
                .group_by(R.status)
            )
        ).all()

        # 5. held sessions with feedback from one or both members
        authors = (
            select(
                S.id.label("sid"),
                S.start.label("start"),
                func.count(func.distinct(F.author_id)).label("authors"),
            )
            .select_from(S_TABLE)
            .join(F_TABLE, F.session_id == S.id, isouter=True)
            .where(
                S.community_id == community_id,
                S.state == SessionState.COMPLETED.value,
                S.start >= oldest,
                S.start <= now,
            )
            .group_by(S.id, S.start)
            .subquery()
        )
        feedback_cols: list[Any] = [literal(1)]
        for d in days:
            in_period = authors.c.start >= since[d]
            feedback_cols += [
                _count_if(and_(in_period, authors.c.authors >= 2)),
                _count_if(and_(in_period, authors.c.authors >= 1)),
            ]
        feedback_row = (await self._s.execute(select(*feedback_cols).select_from(authors))).one()

        out: list[PeriodStats] = []
        for i, d in enumerate(days):
            by_state_booked = {str(r[0]): int(r[1 + 2 * i]) for r in session_rows}
            by_state_started = {str(r[0]): int(r[2 + 2 * i]) for r in session_rows}
            by_status = {str(r[0]): int(r[1 + i]) for r in request_rows}
            out.append(
                PeriodStats(
                    days=d,
                    sessions_booked=sum(by_state_booked.values()),
                    sessions_held=by_state_started.get(SessionState.COMPLETED.value, 0),
                    sessions_cancelled=by_state_started.get(SessionState.CANCELLED.value, 0),
                    sessions_no_show=by_state_started.get(SessionState.NO_SHOW.value, 0),
                    requests_made=sum(by_status.values()),
                    requests_matched=by_status.get(RequestStatus.MATCHED.value, 0),
                    requests_expired=by_status.get(RequestStatus.EXPIRED.value, 0),
                    feedback_both=int(feedback_row[1 + 2 * i]),
                    feedback_any=int(feedback_row[2 + 2 * i]),
                )
            )
        return CommunityStats(
            members=int(members_row[0]),
            members_with_profile=int(members_row[1]),
            open_requests=open_requests,
            periods=tuple(out),
        )
