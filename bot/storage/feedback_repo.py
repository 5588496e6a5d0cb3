"""The feedback repository: :class:`bot.core.feedback_models.Feedback` in and out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.feedback_models import INTERVIEWER_RATINGS, Feedback, FeedbackRole
from bot.core.progress import Observation
from bot.core.ratings import WEAK_VERDICTS, RatingTotals, VerdictCounts
from bot.storage import queries
from bot.storage.feedback_tables import FeedbackRow
from bot.storage.tables import SessionRow


def feedback_from_row(
    row: FeedbackRow, interview_type: str | None = None, community_id: str | None = None
) -> Feedback:
    return Feedback(
        id=row.id,
        session_id=row.session_id,
        part=row.part,
        author_id=row.author_id,
        subject_id=row.subject_id,
        role=FeedbackRole(row.role),
        scores={str(k): int(v) for k, v in row.scores.items()},
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        verdict=row.verdict,
        help_needed=row.help_needed,
        strengths=row.strengths,
        improvements=row.improvements,
        admin_note=row.admin_note,
        interviewer_ratings={str(k): int(v) for k, v in row.interviewer_ratings.items()},
        prompt_quality=row.prompt_quality,
        revealed_at=row.revealed_at,
        interview_type=interview_type,
        community_id=community_id,
    )


def _values(fb: Feedback) -> dict[str, Any]:
    return {
        "id": fb.id,
        "session_id": fb.session_id,
        "part": fb.part,
        "author_id": fb.author_id,
        "subject_id": fb.subject_id,
        "role": fb.role.value,
        "scores": dict(fb.scores),
        "verdict": fb.verdict,
        "help_needed": fb.help_needed,
        "strengths": fb.strengths,
        "improvements": fb.improvements,
        "admin_note": fb.admin_note,
        "interviewer_ratings": dict(fb.interviewer_ratings),
        "prompt_quality": fb.prompt_quality,
        "submitted_at": fb.submitted_at,
        "updated_at": fb.updated_at,
        "revealed_at": fb.revealed_at,
    }


def _joined() -> Any:
    return select(FeedbackRow, col(SessionRow.interview_type), col(SessionRow.community_id)).join(
        SessionRow, col(SessionRow.id) == col(FeedbackRow.session_id)
    )


class SqlFeedbackRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _many(self, stmt: Any) -> list[Feedback]:
        result = await self._s.execute(
            stmt.order_by(col(FeedbackRow.submitted_at), col(FeedbackRow.id))
        )
        return [feedback_from_row(row, kind, cid) for row, kind, cid in result.all()]

    async def get(
        self, session_id: str, part: int, author_id: str, role: FeedbackRole
    ) -> Feedback | None:
        found = await self._many(
            _joined().where(
                col(FeedbackRow.session_id) == session_id,
                col(FeedbackRow.part) == part,
                col(FeedbackRow.author_id) == author_id,
                col(FeedbackRow.role) == role.value,
            )
        )
        return found[0] if found else None

    async def save(self, fb: Feedback) -> None:
        """Insert, or update the row with the same (session, part, author, role)."""
        existing = (
            await self._s.execute(
                select(FeedbackRow).where(
                    col(FeedbackRow.session_id) == fb.session_id,
                    col(FeedbackRow.part) == fb.part,
                    col(FeedbackRow.author_id) == fb.author_id,
                    col(FeedbackRow.role) == fb.role.value,
                )
            )
        ).scalar_one_or_none()
        values = _values(fb)
        if existing is None:
            self._s.add(FeedbackRow(**values))
        else:
            values.pop("id")
            for key, value in values.items():
                setattr(existing, key, value)
        await self._s.flush()

    async def for_session(self, session_id: str) -> list[Feedback]:
        return await self._many(_joined().where(col(FeedbackRow.session_id) == session_id))

    async def about_members(self, member_ids: Sequence[str]) -> list[Feedback]:
        if not member_ids:
            return []
        return await self._many(_joined().where(col(FeedbackRow.subject_id).in_(list(member_ids))))

    async def for_member(self, member_id: str) -> list[Feedback]:
        """Every row the member wrote or is the subject of."""
        return await self._many(
            _joined().where(
                or_(
                    col(FeedbackRow.author_id) == member_id,
                    col(FeedbackRow.subject_id) == member_id,
                )
            )
        )

    async def for_community(self, community_id: str) -> list[Feedback]:
        return await self._many(_joined().where(col(SessionRow.community_id) == community_id))

    def _ratings(self, community_id: str, *columns: Any) -> Any:
        return (
            select(*columns)
            .join(SessionRow, col(SessionRow.id) == col(FeedbackRow.session_id))
            .where(
                col(SessionRow.community_id) == community_id,
                col(FeedbackRow.role) == FeedbackRole.INTERVIEWER.value,
                col(FeedbackRow.revealed_at).is_not(None),
            )
        )

    async def ratings_version(
        self, community_id: str
    ) -> tuple[int, datetime | None, datetime | None]:
        row = (
            await self._s.execute(
                self._ratings(
                    community_id,
                    func.count(),
                    func.max(col(FeedbackRow.revealed_at)),
                    func.max(col(FeedbackRow.updated_at)),
                )
            )
        ).one()
        return int(row[0]), row[1], row[2]

    async def rating_observations(self, community_id: str) -> list[Observation]:
        # Every revealed score of the community: streamed in partitions, so the event loop
        # gets its turn between pieces (docs/scaling.md, "Event-loop lag").
        result = await self._s.stream(
            self._ratings(
                community_id,
                col(FeedbackRow.subject_id),
                col(FeedbackRow.author_id),
                col(SessionRow.interview_type),
                col(FeedbackRow.scores),
                col(FeedbackRow.submitted_at),
            ).order_by(col(FeedbackRow.submitted_at), col(FeedbackRow.id))
        )
        return [
            Observation(subject, author, kind or "unknown", str(dim), float(score), when)
            async for part in result.partitions(queries.STREAM_PARTITION)
            for subject, author, kind, scores, when in part
            for dim, score in scores.items()
        ]

    async def interviewer_rating_totals(self, community_id: str) -> dict[str, RatingTotals]:
        """One grouped query: per rated interviewer of the community, their revealed
        ratings' count and item sums (the JSON items are read in the database)."""
        items = [
            col(FeedbackRow.interviewer_ratings)[key].as_integer() for key in INTERVIEWER_RATINGS
        ]
        rated = case((or_(*(item.is_not(None) for item in items)), 1))
        result = await self._s.execute(
            select(
                col(FeedbackRow.subject_id),
                func.count(rated),
                *(func.count(item) for item in items),
                *(func.sum(item) for item in items),
            )
            .join(SessionRow, col(SessionRow.id) == col(FeedbackRow.session_id))
            .where(
                col(SessionRow.community_id) == community_id,
                col(FeedbackRow.role) == FeedbackRole.CANDIDATE.value,
                col(FeedbackRow.revealed_at).is_not(None),
            )
            .group_by(col(FeedbackRow.subject_id))
        )
        width = len(items)
        out: dict[str, RatingTotals] = {}
        for row in result.all():
            numbers = [
                int(x or 0) for x in row[1:]
            ]  # the count of ratings, then per item a count, then a sum
            rated_count, counts, sums = numbers[0], numbers[1 : 1 + width], numbers[1 + width :]
            if rated_count:
                out[str(row[0])] = RatingTotals(
                    ratings=rated_count, items=sum(counts), total=float(sum(sums))
                )
        return out

    async def recent_verdicts(self, community_id: str, since: datetime) -> dict[str, VerdictCounts]:
        """One grouped query: per candidate of the community, their interviewers' revealed
        verdicts submitted since ``since``, and how many of them were a no."""
        weak = case((col(FeedbackRow.verdict).in_(WEAK_VERDICTS), 1))
        result = await self._s.execute(
            select(
                col(FeedbackRow.subject_id),
                func.count(col(FeedbackRow.verdict)),
                func.count(weak),
            )
            .join(SessionRow, col(SessionRow.id) == col(FeedbackRow.session_id))
            .where(
                col(SessionRow.community_id) == community_id,
                col(FeedbackRow.role) == FeedbackRole.INTERVIEWER.value,
                col(FeedbackRow.revealed_at).is_not(None),
                col(FeedbackRow.submitted_at) >= since,
            )
            .group_by(col(FeedbackRow.subject_id))
        )
        return {
            str(subject): VerdictCounts(int(count or 0), int(no or 0))
            for subject, count, no in result.all()
            if count
        }

    async def mark_revealed(self, feedback_ids: Sequence[str], when: datetime) -> None:
        if not feedback_ids:
            return
        await self._s.execute(
            update(FeedbackRow)
            .where(
                col(FeedbackRow.id).in_(list(feedback_ids)), col(FeedbackRow.revealed_at).is_(None)
            )
            .values(revealed_at=when)
        )
