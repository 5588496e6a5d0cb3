"""Ports: what the core needs from the outside world, as Protocols.

Storage (``bot/storage``) implements the repositories and the unit of work;
each face (``bot/adapters``) implements :class:`ChatPort`; ``bot/scheduling``
implements :class:`JobScheduler`. Tests use in-memory fakes of the same ports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.core.messages import OutboundMessage
from bot.core.models import (
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    Platform,
)


class CommunityRepo(Protocol):
    async def get(self, community_id: str) -> Community | None: ...
    async def find(self, platform: Platform, external_id: str) -> Community | None: ...
    async def add(self, community: Community) -> None: ...
    async def save_settings(self, community_id: str, settings: CommunitySettings) -> None: ...
    async def list(self) -> list[Community]: ...


class MemberRepo(Protocol):
    async def get(self, member_id: str) -> Member | None: ...
    async def get_many(self, member_ids: Sequence[str]) -> dict[str, Member]: ...
    async def find(self, community_id: str, external_id: str) -> Member | None: ...
    async def find_by_name(self, community_id: str, display_name: str) -> Member | None: ...
    async def add(self, member: Member) -> None: ...
    async def save(self, member: Member) -> None: ...
    async def list(self, community_id: str) -> list[Member]: ...
    async def delete(self, member_id: str) -> None: ...


class RequestRepo(Protocol):
    async def get(self, request_id: str) -> InterviewRequest | None: ...
    async def add(self, request: InterviewRequest) -> None:
        """Add an open request. Raises :class:`bot.core.errors.Conflict` when the member
        already has an open request of that type (enforced by the database too)."""
        ...

    async def save(self, request: InterviewRequest) -> None: ...
    async def open_for_member(self, member_id: str) -> list[InterviewRequest]: ...
    async def list_open(self, community_id: str) -> list[InterviewRequest]: ...
    async def for_member(self, member_id: str) -> list[InterviewRequest]: ...


class UnitOfWork(Protocol):
    """One transaction: everything done through it is committed together, or not at all."""

    communities: CommunityRepo
    members: MemberRepo
    requests: RequestRepo

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commit when the block succeeded, roll back when it raised."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class ChatPort(Protocol):
    """Messages nobody asked for: match found, reminders, prompts, feedback requests, digests."""

    platform: Platform

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        """Send a direct message; returns a message reference. Raises
        :class:`DirectMessagesClosed` when the member cannot be messaged directly."""
        ...

    async def open_pair_space(self, community: Community, members: Sequence[Member], title: str) -> str:
        """Open (or find) a private space for the pair; returns its reference."""
        ...

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        """Post into a pair space or channel; returns a message reference."""
        ...


class DirectMessagesClosed(Exception):
    """The platform refused a direct message (the member closed their DMs)."""


class TemporaryDeliveryError(Exception):
    """A rate limit or server error: try again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobScheduler(Protocol):
    """Run a callable at a time; cancel by key. The database, not the scheduler, is the truth."""

    def schedule(self, key: str, when: datetime, job: Callable[[], Awaitable[None]]) -> None: ...
    def cancel(self, key: str) -> None: ...
