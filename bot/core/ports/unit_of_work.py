"""The unit of work: one transaction and the repositories it hands out."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from bot.core.ports.feature_repos import (
    DigestRepo,
    FeedbackRepo,
    FormDraftRepo,
    FriendRequestRepo,
    PrivacyRepo,
    PromptPackRepo,
    ReportRepo,
    RetentionRepo,
    StatsRepo,
)
from bot.core.ports.loop_repo import LoopRepo
from bot.core.ports.repos import (
    ActionRepo,
    BookingRepo,
    CommunityRepo,
    MemberRepo,
    NoShowRepo,
    OutboxRepo,
    RequestRepo,
    RoundRepo,
    SessionRepo,
)


class UnitOfWork(Protocol):
    """One transaction: everything done through it is committed together, or not at all.

    Its repositories are read-only properties: a unit of work hands them out, nobody replaces them."""

    @property
    def communities(self) -> CommunityRepo:
        """Communities."""
        ...

    @property
    def members(self) -> MemberRepo:
        """Members."""
        ...

    @property
    def requests(self) -> RequestRepo:
        """Interview requests."""
        ...

    @property
    def sessions(self) -> SessionRepo:
        """Sessions."""
        ...

    @property
    def actions(self) -> ActionRepo:
        """Scheduled steps."""
        ...

    @property
    def outbox(self) -> OutboxRepo:
        """The outbox."""
        ...

    @property
    def rounds(self) -> RoundRepo:
        """Matching round records."""
        ...

    @property
    def booking(self) -> BookingRepo:
        """A matching round's bookings, in batches."""
        ...

    @property
    def no_shows(self) -> NoShowRepo:
        """No-show reports."""
        ...

    @property
    def feedback(self) -> FeedbackRepo:
        """Feedback forms."""
        ...

    @property
    def packs(self) -> PromptPackRepo:
        """Prompt packs."""
        ...

    @property
    def digests(self) -> DigestRepo:
        """What digests read."""
        ...

    @property
    def privacy(self) -> PrivacyRepo:
        """What data export and forgetting need."""
        ...

    @property
    def stats(self) -> StatsRepo:
        """Community figures."""
        ...

    @property
    def form_drafts(self) -> FormDraftRepo:
        """Half-filled forms."""
        ...

    @property
    def retention(self) -> RetentionRepo:
        """Retention deletes."""
        ...

    @property
    def friends(self) -> FriendRequestRepo:
        """Invitations to practise with a chosen member."""
        ...

    @property
    def loops(self) -> LoopRepo:
        """Mock loops."""
        ...

    @property
    def reports(self) -> ReportRepo:
        """Reports about a session's partner, and suspensions from matching."""
        ...

    async def __aenter__(self) -> Self:
        """Begin the transaction."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commit when the block succeeded, roll back when it raised."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
