"""The friend request repository: :class:`bot.core.friend_models.FriendRequest` in and out.

An invitation changes state only from ``pending`` (:meth:`SqlFriendRequestRepo.settle`: one
conditional UPDATE), so of two presses at once (accept and withdraw, or accept twice) exactly
one takes effect, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.friend_models import FriendRequest, FriendStatus
from bot.core.vocab import InterviewType, RolePreference
from bot.storage.friend_tables import FriendRequestRow
from bot.storage.queries import dialect_name, rowcount


def _friend(row: FriendRequestRow) -> FriendRequest:
    return FriendRequest(
        id=row.id,
        community_id=row.community_id,
        requester_id=row.requester_id,
        invitee_id=row.invitee_id,
        interview_type=InterviewType(row.interview_type),
        role=RolePreference(row.role),
        days=row.days,
        created_at=row.created_at,
        expires_at=row.expires_at,
        status=FriendStatus(row.status),
        decided_at=row.decided_at,
        session_id=row.session_id,
    )


class SqlFriendRequestRepo:
    """Invitations to practise with a chosen member."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, request: FriendRequest) -> None:
        """Store a new invitation."""
        self._s.add(
            FriendRequestRow(
                id=request.id,
                community_id=request.community_id,
                requester_id=request.requester_id,
                invitee_id=request.invitee_id,
                interview_type=request.interview_type.value,
                role=request.role.value,
                days=request.days,
                status=request.status.value,
                created_at=request.created_at,
                expires_at=request.expires_at,
                decided_at=request.decided_at,
                session_id=request.session_id,
            )
        )
        await self._s.flush()

    async def get(self, request_id: str, *, for_update: bool = False) -> FriendRequest | None:
        """One invitation as stored now, or None; ``for_update`` locks it first (SQLite: the
        write lock, so a press that reads it never works from a snapshot another one changed)."""
        stmt = select(FriendRequestRow).where(col(FriendRequestRow.id) == request_id)
        if for_update:
            if dialect_name(self._s) == "postgresql":
                stmt = stmt.with_for_update()
            else:
                await self._s.execute(
                    update(FriendRequestRow)
                    .where(col(FriendRequestRow.id) == request_id)
                    .values(status=col(FriendRequestRow.status))
                )
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        return _friend(row) if row is not None else None

    async def settle(self, request_id: str, status: FriendStatus, now: datetime) -> bool:
        """Move a pending invitation to ``status``; False when it is not pending any more (another
        press or the lapse came first). The row stays locked until the transaction ends."""
        result = await self._s.execute(
            update(FriendRequestRow)
            .where(
                col(FriendRequestRow.id) == request_id,
                col(FriendRequestRow.status) == FriendStatus.PENDING.value,
            )
            .values(status=status.value, decided_at=now)
        )
        return rowcount(result) == 1

    async def record(
        self, request_id: str, status: FriendStatus, session_id: str | None = None
    ) -> None:
        """The outcome of an accepted invitation (booked with its session, or not arranged)."""
        await self._s.execute(
            update(FriendRequestRow)
            .where(col(FriendRequestRow.id) == request_id)
            .values(status=status.value, session_id=session_id)
        )

    async def pending_from(self, requester_id: str) -> list[FriendRequest]:
        """The member's invitations still waiting for an answer, oldest first."""
        rows = await self._s.execute(
            select(FriendRequestRow)
            .where(
                col(FriendRequestRow.requester_id) == requester_id,
                col(FriendRequestRow.status) == FriendStatus.PENDING.value,
            )
            .order_by(col(FriendRequestRow.created_at))
        )
        return [_friend(r) for r in rows.scalars()]

    async def for_member(self, member_id: str) -> list[FriendRequest]:
        """Every invitation the member sent or received, oldest first (their export)."""
        rows = await self._s.execute(
            select(FriendRequestRow)
            .where(
                or_(
                    col(FriendRequestRow.requester_id) == member_id,
                    col(FriendRequestRow.invitee_id) == member_id,
                )
            )
            .order_by(col(FriendRequestRow.created_at), col(FriendRequestRow.id))
        )
        return [_friend(r) for r in rows.scalars()]
