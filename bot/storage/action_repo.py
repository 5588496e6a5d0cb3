"""The scheduled action repository: the durable steps the scheduler runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import (
    ActionKind,
    ActionStatus,
    ScheduledAction,
)
from bot.storage.queries import RowValues, dialect_name, insert_ignore, rowcount
from bot.storage.tables import (
    ScheduledActionRow,
)


def action_from_row(row: ScheduledActionRow) -> ScheduledAction:
    return ScheduledAction(
        id=row.id,
        key=row.key,
        kind=ActionKind(row.kind),
        community_id=row.community_id,
        due_at=row.due_at,
        session_id=row.session_id,
        payload=dict(row.payload),
        status=ActionStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
    )


def _action_values(action: ScheduledAction) -> RowValues:
    return {
        "id": action.id,
        "key": action.key,
        "kind": action.kind.value,
        "community_id": action.community_id,
        "session_id": action.session_id,
        "due_at": action.due_at,
        "payload": action.payload,
        "status": action.status.value,
        "attempts": action.attempts,
        "last_error": action.last_error,
    }


def _not_leased(now: datetime) -> Any:
    """No step calling a platform holds the action's lease at ``now``."""
    return or_(
        col(ScheduledActionRow.claimed_until).is_(None),
        col(ScheduledActionRow.claimed_until) <= now,
    )


class SqlActionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, action: ScheduledAction) -> bool:
        """Insert unless an action with the same key exists; True when inserted."""
        values = _action_values(action)
        result = await self._s.execute(insert_ignore(self._s, ScheduledActionRow, values, "key"))
        return rowcount(result) > 0

    async def add_many(self, actions: Sequence[ScheduledAction]) -> int:
        """Insert these actions in one statement, skipping keys that exist; how many were new."""
        if not actions:
            return 0
        values = [_action_values(a) for a in actions]
        result = await self._s.execute(insert_ignore(self._s, ScheduledActionRow, values, "key"))
        return rowcount(result)

    async def get(self, action_id: str) -> ScheduledAction | None:
        row = await self._s.get(ScheduledActionRow, action_id)
        return action_from_row(row) if row else None

    async def claim(self, action_id: str, now: datetime) -> ScheduledAction | None:
        """Lock a pending action for this transaction; None if done, claimed elsewhere, or
        leased by a step calling a platform (until its lease ends)."""
        stmt = select(ScheduledActionRow).where(
            col(ScheduledActionRow.id) == action_id,
            col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
            _not_leased(now),
        )
        if dialect_name(self._s) == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        else:
            # SQLite: take the database's write lock first, so a second process waits, then
            # sees the action already done.
            await self._s.execute(
                update(ScheduledActionRow)
                .where(col(ScheduledActionRow.id) == action_id)
                .values(attempts=col(ScheduledActionRow.attempts))
            )
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        return action_from_row(row) if row else None

    async def lease(self, action_id: str, token: str, until: datetime) -> None:
        await self._s.execute(
            update(ScheduledActionRow)
            .where(col(ScheduledActionRow.id) == action_id)
            .values(claim_token=token, claimed_until=until)
            .execution_options(synchronize_session=False)
        )

    async def reclaim(self, action_id: str, token: str) -> ScheduledAction | None:
        stmt = select(ScheduledActionRow).where(
            col(ScheduledActionRow.id) == action_id,
            col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
            col(ScheduledActionRow.claim_token) == token,
        )
        if dialect_name(self._s) == "postgresql":
            stmt = stmt.with_for_update()
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        return action_from_row(row) if row else None

    async def due_ids(self, now: datetime, limit: int = 500) -> list[str]:
        stmt = (
            select(col(ScheduledActionRow.id))
            .where(
                col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
                col(ScheduledActionRow.due_at) <= now,
                _not_leased(now),
            )
            .order_by(col(ScheduledActionRow.due_at), col(ScheduledActionRow.id))
            .limit(limit)
        )
        if dialect_name(self._s) == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self._s.execute(stmt)).scalars())

    async def pending(self, until: datetime | None = None) -> list[tuple[str, datetime]]:
        """Pending actions' ids and due times, in due order (to rebuild timers on start);
        only those due at or before ``until`` when given (the runtime's arming horizon)."""
        stmt = select(col(ScheduledActionRow.id), col(ScheduledActionRow.due_at)).where(
            col(ScheduledActionRow.status) == ActionStatus.PENDING.value
        )
        if until is not None:
            stmt = stmt.where(col(ScheduledActionRow.due_at) <= until)
        result = await self._s.execute(
            stmt.order_by(col(ScheduledActionRow.due_at), col(ScheduledActionRow.id))
        )
        return [(r[0], r[1]) for r in result.all()]

    async def finish(
        self, action_id: str, status: ActionStatus, now: datetime, error: str | None = None
    ) -> None:
        row = await self._s.get(ScheduledActionRow, action_id)
        if row is not None:
            row.status = status.value
            row.finished_at = now
            row.last_error = error[:500] if error else None
            row.claim_token, row.claimed_until = None, None
            await self._s.flush()

    async def retry_later(self, action_id: str, due_at: datetime, error: str) -> int:
        row = await self._s.get(ScheduledActionRow, action_id)
        if row is None:
            return 0
        row.attempts += 1
        row.due_at = due_at
        row.last_error = error[:500]
        row.claim_token, row.claimed_until = None, None
        await self._s.flush()
        return row.attempts

    async def cancel_for_session(
        self, session_id: str, now: datetime, kinds: Sequence[ActionKind] | None = None
    ) -> None:
        stmt = (
            update(ScheduledActionRow)
            .where(
                col(ScheduledActionRow.session_id) == session_id,
                col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
            )
            .values(
                status=ActionStatus.SKIPPED.value, finished_at=now, last_error="session changed"
            )
        )
        if kinds:
            stmt = stmt.where(col(ScheduledActionRow.kind).in_([k.value for k in kinds]))
        await self._s.execute(stmt)

    async def for_session(self, session_id: str) -> list[ScheduledAction]:
        result = await self._s.execute(
            select(ScheduledActionRow)
            .where(col(ScheduledActionRow.session_id) == session_id)
            .order_by(col(ScheduledActionRow.due_at))
        )
        return [action_from_row(r) for r in result.scalars()]

    async def by_kind(self, kind: ActionKind) -> list[ScheduledAction]:
        result = await self._s.execute(
            select(ScheduledActionRow).where(col(ScheduledActionRow.kind) == kind.value)
        )
        return [action_from_row(r) for r in result.scalars()]

    async def delete_pending(self, community_id: str, kind: ActionKind) -> int:
        result = await self._s.execute(
            delete(ScheduledActionRow).where(
                col(ScheduledActionRow.community_id) == community_id,
                col(ScheduledActionRow.kind) == kind.value,
                col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
            )
        )
        return rowcount(result)
