"""The outbox repository: messages queued in a transaction, delivered after it commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import (
    OutboxItem,
    OutboxStatus,
)
from bot.storage.queries import RowValues, insert_ignore, rowcount
from bot.storage.tables import (
    OutboxRow,
)


def outbox_from_row(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        key=row.key,
        community_id=row.community_id,
        message=dict(row.message),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        member_id=row.member_id,
        space_ref=row.space_ref,
        private=row.private,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        sent_ref=row.sent_ref,
        fallback_used=row.fallback_used,
    )


def _outbox_values(item: OutboxItem) -> RowValues:
    return {
        "id": item.id,
        "key": item.key,
        "community_id": item.community_id,
        "member_id": item.member_id,
        "space_ref": item.space_ref,
        "private": item.private,
        "message": item.message,
        "status": item.status.value,
        "attempts": item.attempts,
        "created_at": item.created_at,
        "next_attempt_at": item.next_attempt_at,
        "fallback_used": False,
    }


class SqlOutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        #: Messages queued in this transaction so far: their reading order (``OutboxRow.position``).
        self._queued = 0

    def _values(self, item: OutboxItem) -> RowValues:
        self._queued += 1
        return {**_outbox_values(item), "position": self._queued}

    async def add(self, item: OutboxItem) -> bool:
        result = await self._s.execute(insert_ignore(self._s, OutboxRow, self._values(item), "key"))
        return rowcount(result) > 0

    async def add_many(self, items: Sequence[OutboxItem]) -> int:
        """``add`` for several items, one statement per 500; how many were new."""
        added = 0
        for start in range(0, len(items), 500):
            values = [self._values(item) for item in items[start : start + 500]]
            result = await self._s.execute(insert_ignore(self._s, OutboxRow, values, "key"))
            added += rowcount(result)
        return added

    async def due_ids(self, now: datetime, limit: int = 200) -> list[str]:
        result = await self._s.execute(
            select(col(OutboxRow.id))
            .where(
                col(OutboxRow.status) == OutboxStatus.PENDING.value,
                col(OutboxRow.next_attempt_at) <= now,
            )
            .order_by(
                col(OutboxRow.next_attempt_at),
                col(OutboxRow.created_at),
                col(OutboxRow.position),
                col(OutboxRow.key),
            )
            .limit(limit)
        )
        return list(result.scalars())

    async def claim(
        self, item_id: str, *, token: str, now: datetime, until: datetime
    ) -> OutboxItem | None:
        # One UPDATE decides between concurrent deliveries (on PostgreSQL the second waits for
        # the first's row lock, then finds the claim taken); the caller commits it at once.
        result = await self._s.execute(
            update(OutboxRow)
            .where(
                col(OutboxRow.id) == item_id,
                col(OutboxRow.status) == OutboxStatus.PENDING.value,
                or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) <= now),
            )
            .values(claim_token=token, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 0:
            return None
        row = (
            await self._s.execute(select(OutboxRow).where(col(OutboxRow.id) == item_id))
        ).scalar_one_or_none()
        return outbox_from_row(row) if row else None

    async def release(self, item_id: str, token: str) -> None:
        await self._s.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == item_id, col(OutboxRow.claim_token) == token)
            .values(claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )

    async def mark_sent(
        self, item_id: str, ref: str, *, fallback: bool = False, token: str | None = None
    ) -> bool:
        values = {
            "status": OutboxStatus.SENT.value,
            "sent_ref": ref[:128],
            "fallback_used": fallback,
            "attempts": col(OutboxRow.attempts) + 1,
            "claim_token": None,
            "claimed_until": None,
        }
        mine = col(OutboxRow.id) == item_id
        if token is not None:
            result = await self._s.execute(
                update(OutboxRow)
                .where(mine, col(OutboxRow.claim_token) == token)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result):
                return True
        # The claim ran out and another delivery holds it now: the message did go, so say so
        # (that delivery sends it again: at least once, docs/scaling.md).
        await self._s.execute(
            update(OutboxRow)
            .where(mine, col(OutboxRow.status) == OutboxStatus.PENDING.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return token is None

    async def retry_later(
        self,
        item_id: str,
        when: datetime,
        error: str,
        *,
        give_up: bool,
        token: str | None = None,
    ) -> None:
        where = [col(OutboxRow.id) == item_id]
        if token is not None:
            where.append(col(OutboxRow.claim_token) == token)
        values: RowValues = {
            "attempts": col(OutboxRow.attempts) + 1,
            "last_error": error[:500],
            "next_attempt_at": when,
            "claim_token": None,
            "claimed_until": None,
        }
        if give_up:
            values["status"] = OutboxStatus.FAILED.value
        await self._s.execute(
            update(OutboxRow)
            .where(*where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def by_key(self, key: str) -> OutboxItem | None:
        row = (
            await self._s.execute(select(OutboxRow).where(col(OutboxRow.key) == key))
        ).scalar_one_or_none()
        return outbox_from_row(row) if row is not None else None

    async def all(self) -> list[OutboxItem]:
        result = await self._s.execute(
            select(OutboxRow).order_by(
                col(OutboxRow.created_at), col(OutboxRow.position), col(OutboxRow.key)
            )
        )
        return [outbox_from_row(r) for r in result.scalars()]
