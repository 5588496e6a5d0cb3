"""The repositories of the matching and session flow: communities, members, requests, sessions
(with their pair spaces), scheduled steps, the outbox, round records and no-show reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core.models import (
    ActionKind,
    ActionStatus,
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    NoShowReport,
    OutboxItem,
    PairingHistory,
    Platform,
    PromptHistory,
    RoundRecord,
    ScheduledAction,
    Session,
)
from bot.core.vocab import InterviewType


class PairSpaceState(StrEnum):
    """Where a session's pair space is: none yet, being opened, open, or given up (direct
    messages)."""

    NONE = "none"
    #: Claimed by a delivery before the platform was asked to open it.
    OPENING = "opening"
    OPEN = "open"
    #: Given up after a failed or interrupted opening, or lost since (deleted, archived, closed
    #: to the app): the session's messages go by DM.
    DIRECT = "direct"


@dataclass(frozen=True)
class PairSpace:
    """Where a session's pair space stands (:meth:`SessionRepo.pair_space`)."""

    state: PairSpaceState
    ref: str | None = None
    claimed_at: datetime | None = None


class CommunityRepo(Protocol):
    """Communities and their settings."""

    async def get(self, community_id: str) -> Community | None:
        """The community with this id, or None."""
        ...

    async def find(self, platform: Platform, external_id: str) -> Community | None:
        """The community with this platform id, or None."""
        ...

    async def add(self, community: Community) -> None:
        """Store a new community."""
        ...

    async def add_or_get(self, community: Community) -> Community:
        """Insert unless a community with the same platform id exists (checked by the database,
        so simultaneous first requests cannot collide); the stored community either way."""
        ...

    async def save_settings(self, community_id: str, settings: CommunitySettings) -> None:
        """Replace the community's settings."""
        ...

    async def list(self) -> list[Community]:
        """Every community."""
        ...


class MemberRepo(Protocol):
    """Members and their profiles."""

    async def get(self, member_id: str, *, for_update: bool = False) -> Member | None:
        """The member with this id, or None. ``for_update``: read it under a lock held until the
        transaction ends, so a change made from what was read (a block added, a profile field
        set) cannot overwrite a simultaneous one."""
        ...

    async def get_many(self, member_ids: Sequence[str]) -> dict[str, Member]:
        """The members with these ids that exist, by id."""
        ...

    async def find(self, community_id: str, external_id: str) -> Member | None:
        """The community's member with this platform id, or None."""
        ...

    async def find_by_name(self, community_id: str, display_name: str) -> Member | None:
        """The community's member with exactly this display name, or None."""
        ...

    async def add(self, member: Member) -> None:
        """Store a new member."""
        ...

    async def add_or_get(self, member: Member) -> Member:
        """Insert unless the community already has a member with that platform id (checked by
        the database); the stored member either way."""
        ...

    async def save(self, member: Member) -> None:
        """Store the member's changed profile."""
        ...

    async def list(self, community_id: str) -> list[Member]:
        """The community's members."""
        ...

    async def delete(self, member_id: str) -> None:
        """Delete the member's row."""
        ...


class RequestRepo(Protocol):
    """Interview requests."""

    async def get(self, request_id: str, *, for_update: bool = False) -> InterviewRequest | None:
        """``for_update``: lock the row until the transaction ends (a second writer waits)."""
        ...

    async def add(self, request: InterviewRequest) -> None:
        """Add an open request. Raises :class:`bot.core.errors.Conflict` when the member
        already has an open request of that type (enforced by the database too)."""
        ...

    async def save(self, request: InterviewRequest) -> None:
        """Store the request's changed state."""
        ...

    async def open_for_member(self, member_id: str) -> list[InterviewRequest]:
        """The member's open requests."""
        ...

    async def list_open(self, community_id: str) -> list[InterviewRequest]:
        """The community's open requests (what a matching round considers)."""
        ...

    async def for_member(self, member_id: str) -> list[InterviewRequest]:
        """Every request of the member, in any state."""
        ...

    async def matched_waits(
        self, community_id: str, kind: InterviewType, since: datetime
    ) -> list[timedelta]:
        """How long each request of ``kind`` paired by a round since ``since`` waited (not live ones)."""
        ...


class SessionRepo(Protocol):
    """Sessions, their pair spaces, and the history matching reads."""

    async def get(self, session_id: str) -> Session | None:
        """The session with this id, or None."""
        ...

    async def get_for_update(self, session_id: str) -> Session | None:
        """Read and lock the session row for the rest of the transaction."""
        ...

    async def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    async def save(self, session: Session) -> None:
        """Store the session's changes; never its pair space (see :meth:`claim_pair_space`)."""
        ...

    async def pair_space(self, session_id: str) -> PairSpace | None:
        """Where the session's pair space stands, or None for no such session."""
        ...

    async def claim_pair_space(self, session_id: str, token: str, now: datetime) -> bool:
        """Claim the right to open the session's pair space (one statement, only when nobody has);
        True when this ``token`` holds the claim. Commit it before asking the platform."""
        ...

    async def set_pair_space(self, session_id: str, token: str, ref: str) -> bool:
        """Record the space the claim holder opened; False when ``token`` no longer holds the claim."""
        ...

    async def give_up_pair_space(self, session_id: str) -> None:
        """No pair space for this session (a claim was interrupted): its messages go by DM."""
        ...

    async def release_pair_space_claim(self, session_id: str, token: str) -> bool:
        """Give back a claim whose opening the platform turned away unprocessed (a rate limit):
        the space may be opened later. False when ``token`` no longer holds the claim."""
        ...

    async def lose_pair_space(self, session_id: str, ref: str) -> bool:
        """The session's open space ``ref`` is gone (deleted, archived, closed to the app): its
        messages go by DM from now on. False when the session's space is no longer ``ref``."""
        ...

    async def for_member(self, member_id: str, *, active_only: bool = False) -> list[Session]:
        """The member's sessions (only those not yet final with ``active_only``)."""
        ...

    async def active_for_members(self, member_ids: Sequence[str]) -> list[Session]:
        """The sessions not yet final of any of these members."""
        ...

    async def for_community(self, community_id: str) -> list[Session]:
        """Every session of the community."""
        ...

    async def live_for_community(
        self, community_id: str, completed_since: datetime
    ) -> list[Session]:
        """Sessions still to come or running, plus completed ones that started at or after
        ``completed_since`` (their feedback may still be open); never cancelled or no-show ones."""
        ...

    async def pairing_history(self, community_id: str, member_ids: Sequence[str]) -> PairingHistory:
        """The completed sessions of these members, aggregated in the database (a round
        reads this instead of the community's whole history)."""
        ...

    async def prompts_seen(
        self, community_id: str, member_ids: Sequence[str]
    ) -> dict[str, dict[str, datetime]]:
        """Member id -> prompt id -> when they last had it as the candidate (any session
        state), for these members only."""
        ...

    async def prompt_history(self, community_id: str, member_ids: Sequence[str]) -> PromptHistory:
        """The prompts these members have seen as candidate and as interviewer (any
        session state), read together."""
        ...


class ActionRepo(Protocol):
    """Scheduled steps: stored first, claimed and finished by the step runner."""

    async def add(self, action: ScheduledAction) -> bool:
        """Insert unless the key exists; True when inserted (so scheduling twice is a no-op)."""
        ...

    async def add_many(self, actions: Sequence[ScheduledAction]) -> int:
        """``add`` for several actions in one statement; how many were new."""
        ...

    async def get(self, action_id: str) -> ScheduledAction | None:
        """The step with this id, or None."""
        ...

    async def claim(self, action_id: str, now: datetime) -> ScheduledAction | None:
        """Lock a pending action for this transaction; None when done, claimed elsewhere, or
        leased at ``now`` by a step calling a platform."""
        ...

    async def lease(self, action_id: str, token: str, until: datetime) -> None:
        """Lease a claimed step until ``until`` under ``token``, before its transaction commits
        and it calls a platform outside any transaction: no other worker claims it meanwhile."""
        ...

    async def reclaim(self, action_id: str, token: str) -> ScheduledAction | None:
        """Lock the step again after its platform call, if it is still pending under this lease
        (None when it was cancelled meanwhile, or its lease ran out and another worker took it).
        """
        ...

    async def due_ids(self, now: datetime, limit: int = 500) -> list[str]:
        """Ids of pending steps due at or before ``now``, the earliest first."""
        ...

    async def pending(self, until: datetime | None = None) -> list[tuple[str, datetime]]:
        """Pending actions' ids and due times (only those due at or before ``until`` when given)."""
        ...

    async def finish(
        self, action_id: str, status: ActionStatus, now: datetime, error: str | None = None
    ) -> None:
        """Mark a claimed step done, skipped or failed (with the error)."""
        ...

    async def retry_later(self, action_id: str, due_at: datetime, error: str) -> int:
        """Put a failed step back as pending at ``due_at``, counting the attempt; the attempts so
        far."""
        ...

    async def cancel_for_session(
        self, session_id: str, now: datetime, kinds: Sequence[ActionKind] | None = None
    ) -> None:
        """Skip the session's pending steps (of ``kinds`` when given)."""
        ...

    async def for_session(self, session_id: str) -> list[ScheduledAction]:
        """Every step of the session."""
        ...

    async def by_kind(self, kind: ActionKind) -> list[ScheduledAction]:
        """Every step of a kind."""
        ...

    async def delete_pending(self, community_id: str, kind: ActionKind) -> int:
        """Delete the community's pending actions of ``kind`` (re-planning rounds frees their
        keys for the new plan); the count."""
        ...


class OutboxRepo(Protocol):
    """Messages waiting to be delivered."""

    async def add(self, item: OutboxItem) -> bool:
        """Queue once per key. Messages queued in one transaction are delivered in the order
        they were queued (they share their time: the order is kept with them)."""
        ...

    async def add_many(self, items: Sequence[OutboxItem]) -> int:
        """``add`` for several items in few statements (keys that exist are skipped)."""
        ...

    async def due_ids(self, now: datetime, limit: int = 200) -> list[str]:
        """Ids of pending messages due at or before ``now``, the earliest first (messages queued
        together in their queued order)."""
        ...

    async def claim(
        self, item_id: str, *, token: str, now: datetime, until: datetime
    ) -> OutboxItem | None:
        """Claim a pending message for delivery with ``token`` until ``until`` (None if another
        delivery's claim holds at ``now``, or it is gone). The claim is a row value, not a lock:
        committed at once, so the send happens outside any transaction."""
        ...

    async def release(self, item_id: str, token: str) -> None:
        """Give a claim back unsent (the delivery must first open a space or draw pictures)."""
        ...

    async def mark_sent(
        self, item_id: str, ref: str, *, fallback: bool = False, token: str | None = None
    ) -> bool:
        """Mark the message sent, with the platform's reference (and whether it went by the
        fallback), ending the claim ``token``; False if another delivery's claim replaced it."""
        ...

    async def retry_later(
        self,
        item_id: str,
        when: datetime,
        error: str,
        *,
        give_up: bool,
        token: str | None = None,
    ) -> None:
        """Try the message again at ``when``, or give up on it (ending the claim ``token``)."""
        ...

    async def by_key(self, key: str) -> OutboxItem | None:
        """The message queued under ``key`` (sent or not), or None."""
        ...

    async def all(self) -> list[OutboxItem]:
        """Every message (tests and the console)."""
        ...


class BookingRepo(Protocol):
    """A matching round's bookings, written a batch at a time in a few statements (not a few
    statements per pair): the round books thousands of pairs in one transaction."""

    async def book(
        self,
        sessions: Sequence[Session],
        steps: Sequence[ScheduledAction],
        messages: Sequence[OutboxItem],
    ) -> None:
        """Insert the sessions, their steps and their messages (steps and messages once per
        key, like ``ActionRepo.add_many`` and ``OutboxRepo.add``), and mark each session's
        requests matched to it."""
        ...

    async def queue(self, messages: Sequence[OutboxItem]) -> None:
        """Queue these direct messages (once per key, in this order after those queued before)."""
        ...

    async def left_out(self, marks: Sequence[tuple[str, int, str]]) -> None:
        """Requests left open by a round: ``(request id, times left out, reason)``."""
        ...


class RoundRepo(Protocol):
    """Records of matching rounds, and the round lock."""

    async def add(self, record: RoundRecord) -> None:
        """Store a round's record."""
        ...

    async def latest(self, community_id: str, limit: int = 20) -> list[RoundRecord]:
        """The community's latest round records, newest first."""
        ...

    async def lock_community(self, community_id: str) -> None:
        """Serialise matching rounds of one community across processes until commit."""
        ...


class NoShowRepo(Protocol):
    """No-show reports."""

    async def add(self, report: NoShowReport, report_id: str) -> bool:
        """Store a report; False if the reporter reported that session already."""
        ...

    async def for_members(self, member_ids: Sequence[str]) -> list[NoShowReport]:
        """The active (not cleared) reports about any of these members."""
        ...

    async def clear_for(self, member_id: str) -> int:
        """Clear the member's active marks (an admin); how many."""
        ...
