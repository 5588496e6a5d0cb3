"""The session repository: sessions, their pair spaces, and the pairing and prompt history
matching reads from them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from bot.core.models import (
    PairingHistory,
    PromptHistory,
    Session,
    SessionState,
)
from bot.core.ports import PairSpace, PairSpaceState
from bot.core.vocab import InterviewType
from bot.storage import queries
from bot.storage.queries import RowValues, chunks, dialect_name, rowcount
from bot.storage.round_history import (
    WHOLE_COMMUNITY_READ,
    pairing_from_rows,
    prompts_from_rows,
    raw,
)
from bot.storage.tables import (
    SessionRow,
)


def session_from_row(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        community_id=row.community_id,
        interview_type=InterviewType(row.interview_type),
        interviewer_id=row.interviewer_id,
        candidate_id=row.candidate_id,
        swap=row.swap,
        start=row.start,
        minutes=row.minutes,
        state=SessionState(row.state),
        request_ids=tuple(row.request_ids),
        prompt_ids=tuple(row.prompt_ids),
        prompt_reasons=tuple(row.prompt_reasons),
        space_ref=row.space_ref,
        sequence=row.sequence,
        confirmed_by=tuple(row.confirmed_by),
        match_reasons=tuple(row.match_reasons),
        created_at=row.created_at,
        call_url=row.call_url,
        work_url=row.work_url,
        here_by=tuple(row.here_by or ()),
        done_by=tuple(row.done_by or ()),
        voice_ref=row.voice_ref,
        voice_url=row.voice_url,
        event_ref=row.event_ref,
    )


def _session_values(s: Session) -> RowValues:
    return {
        "id": s.id,
        "community_id": s.community_id,
        "interview_type": s.interview_type.value,
        "interviewer_id": s.interviewer_id,
        "candidate_id": s.candidate_id,
        "swap": s.swap,
        "start": s.start,
        "minutes": s.minutes,
        "state": s.state.value,
        "request_ids": list(s.request_ids),
        "prompt_ids": list(s.prompt_ids),
        "prompt_reasons": list(s.prompt_reasons),
        "space_ref": s.space_ref,
        "sequence": s.sequence,
        "confirmed_by": list(s.confirmed_by),
        "match_reasons": list(s.match_reasons),
        "created_at": s.created_at,
        "call_url": s.call_url,
        "work_url": s.work_url,
        "here_by": list(s.here_by),
        "done_by": list(s.done_by),
        "voice_ref": s.voice_ref,
        "voice_url": s.voice_url,
        "event_ref": s.event_ref,
    }


ACTIVE_STATES = (
    SessionState.PROPOSED.value,
    SessionState.CONFIRMED.value,
    SessionState.IN_PROGRESS.value,
)


class SqlSessionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, session_id: str) -> Session | None:
        row = await self._s.get(SessionRow, session_id)
        return session_from_row(row) if row else None

    async def get_for_update(self, session_id: str) -> Session | None:
        stmt = select(SessionRow).where(col(SessionRow.id) == session_id)
        if dialect_name(self._s) == "postgresql":
            stmt = stmt.with_for_update()
        else:  # SQLite: take the write lock first, so a second press waits and reads what the first wrote
            await self._s.execute(
                update(SessionRow)
                .where(col(SessionRow.id) == session_id)
                .values(sequence=col(SessionRow.sequence))
            )
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        return session_from_row(row) if row else None

    async def add(self, s: Session) -> None:
        self._s.add(SessionRow(**_session_values(s)))
        await self._s.flush()

    async def save(self, s: Session) -> None:
        row = await self._s.get(SessionRow, s.id)
        if row is None:
            await self.add(s)
            return
        for key, value in _session_values(s).items():
            if (
                key != "space_ref"
            ):  # only the pair-space claim sets it (a stale copy must not clear it)
                setattr(row, key, value)
        await self._s.flush()

    async def pair_space(self, session_id: str) -> PairSpace | None:
        found = (
            await self._s.execute(
                select(
                    col(SessionRow.space_state),
                    col(SessionRow.space_ref),
                    col(SessionRow.space_claimed_at),
                ).where(col(SessionRow.id) == session_id)
            )
        ).one_or_none()
        if found is None:
            return None
        state, ref, claimed_at = found
        if ref is not None:
            return PairSpace(PairSpaceState.OPEN, ref, claimed_at)
        return PairSpace(PairSpaceState(state) if state else PairSpaceState.NONE, None, claimed_at)

    async def _update_space(
        self, session_id: str, *where: ColumnElement[bool], **values: Any
    ) -> bool:
        """A compare-and-set: only when the row still matches ``where`` (loaded rows kept in step)."""
        result = await self._s.execute(
            update(SessionRow).where(col(SessionRow.id) == session_id, *where).values(**values)
        )
        return rowcount(result) > 0

    async def claim_pair_space(self, session_id: str, token: str, now: datetime) -> bool:
        return await self._update_space(
            session_id,
            col(SessionRow.space_state).is_(None),
            col(SessionRow.space_ref).is_(None),
            space_state=PairSpaceState.OPENING.value,
            space_claim=token,
            space_claimed_at=now,
        )

    async def set_pair_space(self, session_id: str, token: str, ref: str) -> bool:
        return await self._update_space(
            session_id,
            col(SessionRow.space_claim) == token,
            col(SessionRow.space_state) == PairSpaceState.OPENING.value,
            space_state=PairSpaceState.OPEN.value,
            space_ref=ref,
        )

    async def give_up_pair_space(self, session_id: str) -> None:
        await self._update_space(
            session_id, col(SessionRow.space_ref).is_(None), space_state=PairSpaceState.DIRECT.value
        )

    async def release_pair_space_claim(self, session_id: str, token: str) -> bool:
        return await self._update_space(
            session_id,
            col(SessionRow.space_claim) == token,
            col(SessionRow.space_state) == PairSpaceState.OPENING.value,
            col(SessionRow.space_ref).is_(None),
            space_state=None,
            space_claim=None,
            space_claimed_at=None,
        )

    async def lose_pair_space(self, session_id: str, ref: str) -> bool:
        return await self._update_space(
            session_id,
            col(SessionRow.space_ref) == ref,
            space_state=PairSpaceState.DIRECT.value,
            space_ref=None,
        )

    async def for_member(self, member_id: str, *, active_only: bool = False) -> list[Session]:
        stmt = select(SessionRow).where(
            or_(
                col(SessionRow.interviewer_id) == member_id,
                col(SessionRow.candidate_id) == member_id,
            )
        )
        if active_only:
            stmt = stmt.where(col(SessionRow.state).in_(ACTIVE_STATES))
        result = await self._s.execute(stmt.order_by(col(SessionRow.start)))
        return [session_from_row(r) for r in result.scalars()]

    async def active_for_members(self, member_ids: Sequence[str]) -> list[Session]:
        if not member_ids:
            return []
        ids = list(member_ids)
        result = await self._s.execute(
            select(SessionRow).where(
                col(SessionRow.state).in_(ACTIVE_STATES),
                or_(col(SessionRow.interviewer_id).in_(ids), col(SessionRow.candidate_id).in_(ids)),
            )
        )
        return [session_from_row(r) for r in result.scalars()]

    async def for_community(self, community_id: str) -> list[Session]:
        result = await self._s.execute(
            select(SessionRow)
            .where(col(SessionRow.community_id) == community_id)
            .order_by(col(SessionRow.start))
        )
        return [session_from_row(r) for r in result.scalars()]

    async def live_for_community(
        self, community_id: str, completed_since: datetime
    ) -> list[Session]:
        """Sessions still to come or running, and completed ones that started at or after
        ``completed_since``; never cancelled or no-show ones (one indexed query)."""
        result = await self._s.execute(
            select(SessionRow)
            .where(
                col(SessionRow.community_id) == community_id,
                or_(
                    col(SessionRow.state).in_(ACTIVE_STATES),
                    (col(SessionRow.state) == SessionState.COMPLETED.value)
                    & (col(SessionRow.start) >= completed_since),
                ),
            )
            .order_by(col(SessionRow.start))
        )
        return [session_from_row(r) for r in result.scalars()]

    async def pairing_history(self, community_id: str, member_ids: Sequence[str]) -> PairingHistory:
        """Grouped in the database: one row per (interviewer, candidate, swap) and per
        (candidate, swap) of these members' completed sessions, not one row per session.
        The rows come raw (no per-row decoding on the event loop) and are added up on a
        thread: tens of thousands of them in a large community (docs/scaling.md)."""
        wanted = sorted(set(member_ids))
        done = (
            col(SessionRow.community_id) == community_id,
            col(SessionRow.state) == SessionState.COMPLETED.value,
        )
        met: list[tuple[Any, ...]] = []
        second: list[tuple[Any, ...]] = []
        for chunk in chunks(wanted):
            as_first = await self._s.stream(
                select(
                    col(SessionRow.interviewer_id),
                    col(SessionRow.candidate_id),
                    col(SessionRow.swap),
                    func.count(),
                    raw(func.max(col(SessionRow.start))),
                )
                .where(*done, col(SessionRow.interviewer_id).in_(chunk))
                .group_by(
                    col(SessionRow.interviewer_id),
                    col(SessionRow.candidate_id),
                    col(SessionRow.swap),
                )
            )
            async for part in as_first.partitions(queries.STREAM_PARTITION):
                met += part
            as_second = await self._s.execute(
                select(col(SessionRow.candidate_id), col(SessionRow.swap), func.count())
                .where(*done, col(SessionRow.candidate_id).in_(chunk))
                .group_by(col(SessionRow.candidate_id), col(SessionRow.swap))
            )
            second += as_second.all()
        return await asyncio.to_thread(pairing_from_rows, met, second, set(wanted))

    async def prompts_seen(
        self, community_id: str, member_ids: Sequence[str]
    ) -> dict[str, dict[str, datetime]]:
        return (await self.prompt_history(community_id, member_ids)).as_candidate

    async def prompt_history(self, community_id: str, member_ids: Sequence[str]) -> PromptHistory:
        """Streamed raw (prompt lists undecoded, times as stored) and put together on a
        thread: a large round reads most of the community's sessions here. For many members
        the community's sessions are read once, rather than once per piece of members."""
        wanted = set(member_ids)
        if not wanted:
            return PromptHistory({}, {})
        columns = (
            col(SessionRow.id),
            col(SessionRow.interviewer_id),
            col(SessionRow.candidate_id),
            raw(col(SessionRow.prompt_ids)),
            raw(col(SessionRow.start)),
        )
        mine = col(SessionRow.community_id) == community_id
        if len(wanted) >= WHOLE_COMMUNITY_READ:
            selects = [select(*columns).where(mine)]
        else:
            selects = [
                select(*columns).where(
                    mine,
                    or_(
                        col(SessionRow.interviewer_id).in_(chunk),
                        col(SessionRow.candidate_id).in_(chunk),
                    ),
                )
                for chunk in chunks(sorted(wanted))
            ]
        rows: list[tuple[Any, ...]] = []
        for stmt in selects:
            result = await self._s.stream(stmt)
            async for piece in result.partitions(queries.STREAM_PARTITION):
                rows += piece
        return await asyncio.to_thread(prompts_from_rows, rows, wanted)
