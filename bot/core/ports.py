"""Ports: what the core needs from the outside world, as Protocols.

Storage (``bot/storage``) implements the repositories and the unit of work;
each face (``bot/adapters``) implements :class:`ChatPort`; ``bot/scheduling``
implements :class:`JobScheduler`. Tests use in-memory fakes of the same ports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from bot.core.bank import Prompt, Rubric
from bot.core.digest import DigestFeedback, DigestMember, DigestRequest, DigestSession
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.forms import FormDraft
from bot.core.messages import OutboundMessage
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
from bot.core.pack_models import PackOutline, PackProblem, ParsedPack, StoredPack
from bot.core.progress import Observation
from bot.core.ratings import RatingTotals
from bot.core.stats import CommunityStats
from bot.core.vocab import InterviewType, Level


class PairSpaceState(StrEnum):
    NONE = "none"
    #: Claimed by a delivery before the platform was asked to open it.
    OPENING = "opening"
    OPEN = "open"
    #: Given up after a failed or interrupted opening: the session's messages go by DM.
    DIRECT = "direct"


@dataclass(frozen=True)
class PairSpace:
    """Where a session's pair space stands (:meth:`SessionRepo.pair_space`)."""

    state: PairSpaceState
    ref: str | None = None
    claimed_at: datetime | None = None


class CommunityRepo(Protocol):
    async def get(self, community_id: str) -> Community | None: ...
    async def find(self, platform: Platform, external_id: str) -> Community | None: ...
    async def add(self, community: Community) -> None: ...
    async def add_or_get(self, community: Community) -> Community:
        """Insert unless a community with the same platform id exists (checked by the database,
        so simultaneous first requests cannot collide); the stored community either way."""
        ...

    async def save_settings(self, community_id: str, settings: CommunitySettings) -> None: ...
    async def list(self) -> list[Community]: ...


class MemberRepo(Protocol):
    async def get(self, member_id: str) -> Member | None: ...
    async def get_many(self, member_ids: Sequence[str]) -> dict[str, Member]: ...
    async def find(self, community_id: str, external_id: str) -> Member | None: ...
    async def find_by_name(self, community_id: str, display_name: str) -> Member | None: ...
    async def add(self, member: Member) -> None: ...
    async def add_or_get(self, member: Member) -> Member:
        """Insert unless the community already has a member with that platform id (checked by
        the database); the stored member either way."""
        ...

    async def save(self, member: Member) -> None: ...
    async def list(self, community_id: str) -> list[Member]: ...
    async def delete(self, member_id: str) -> None: ...


class RequestRepo(Protocol):
    async def get(self, request_id: str, *, for_update: bool = False) -> InterviewRequest | None:
        """``for_update``: lock the row until the transaction ends (a second writer waits)."""
        ...
    async def add(self, request: InterviewRequest) -> None:
        """Add an open request. Raises :class:`bot.core.errors.Conflict` when the member
        already has an open request of that type (enforced by the database too)."""
        ...

    async def save(self, request: InterviewRequest) -> None: ...
    async def open_for_member(self, member_id: str) -> list[InterviewRequest]: ...
    async def list_open(self, community_id: str) -> list[InterviewRequest]: ...
    async def for_member(self, member_id: str) -> list[InterviewRequest]: ...


class SessionRepo(Protocol):
    async def get(self, session_id: str) -> Session | None: ...
    async def get_for_update(self, session_id: str) -> Session | None:
        """Read and lock the session row for the rest of the transaction."""
        ...

    async def add(self, session: Session) -> None: ...
    async def save(self, session: Session) -> None:
        """Store the session's changes; never its pair space (see :meth:`claim_pair_space`)."""
        ...

    async def pair_space(self, session_id: str) -> PairSpace | None: ...
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

    async def for_member(self, member_id: str, *, active_only: bool = False) -> list[Session]: ...
    async def active_for_members(self, member_ids: Sequence[str]) -> list[Session]: ...
    async def for_community(self, community_id: str) -> list[Session]: ...
    async def live_for_community(self, community_id: str, completed_since: datetime) -> list[Session]:
        """Sessions still to come or running, plus completed ones that started at or after
        ``completed_since`` (their feedback may still be open); never cancelled or no-show ones."""
        ...

    async def pairing_history(self, community_id: str, member_ids: Sequence[str]) -> PairingHistory:
        """The completed sessions of these members, aggregated in the database (a round
        reads this instead of the community's whole history)."""
        ...

    async def prompts_seen(self, community_id: str, member_ids: Sequence[str]) -> dict[str, dict[str, datetime]]:
        """Member id -> prompt id -> when they last had it as the candidate (any session
        state), for these members only."""
        ...

    async def prompt_history(self, community_id: str, member_ids: Sequence[str]) -> PromptHistory:
        """The prompts these members have seen as candidate and as interviewer (any
        session state), read together."""
        ...


class ActionRepo(Protocol):
    async def add(self, action: ScheduledAction) -> bool:
        """Insert unless the key exists; True when inserted (so scheduling twice is a no-op)."""
        ...

    async def add_many(self, actions: Sequence[ScheduledAction]) -> int:
        """``add`` for several actions in one statement; how many were new."""
        ...

    async def get(self, action_id: str) -> ScheduledAction | None: ...
    async def claim(self, action_id: str) -> ScheduledAction | None:
        """Lock a pending action for this transaction; None when done or claimed elsewhere."""
        ...

    async def due_ids(self, now: datetime, limit: int = 500) -> list[str]: ...
    async def pending(self, until: datetime | None = None) -> list[tuple[str, datetime]]:
        """Pending actions' ids and due times (only those due at or before ``until`` when given)."""
        ...
    async def finish(
        self, action_id: str, status: ActionStatus, now: datetime, error: str | None = None
    ) -> None: ...
    async def retry_later(self, action_id: str, due_at: datetime, error: str) -> int: ...
    async def cancel_for_session(
        self, session_id: str, now: datetime, kinds: Sequence[ActionKind] | None = None
    ) -> None: ...
    async def for_session(self, session_id: str) -> list[ScheduledAction]: ...
    async def by_kind(self, kind: ActionKind) -> list[ScheduledAction]: ...
    async def delete_pending(self, community_id: str, kind: ActionKind) -> int:
        """Delete the community's pending actions of ``kind`` (re-planning rounds frees their
        keys for the new plan); the count."""
        ...


class OutboxRepo(Protocol):
    async def add(self, item: OutboxItem) -> bool:
        """Queue once per key. Messages queued in one transaction are delivered in the order
        they were queued (they share their time: the order is kept with them)."""
        ...

    async def add_many(self, items: Sequence[OutboxItem]) -> int:
        """``add`` for several items in few statements (keys that exist are skipped)."""
        ...

    async def due_ids(self, now: datetime, limit: int = 200) -> list[str]: ...
    async def claim(self, item_id: str) -> OutboxItem | None: ...
    async def mark_sent(self, item_id: str, ref: str, *, fallback: bool = False) -> None: ...
    async def retry_later(self, item_id: str, when: datetime, error: str, *, give_up: bool) -> None: ...
    async def all(self) -> list[OutboxItem]: ...


class RoundRepo(Protocol):
    async def add(self, record: RoundRecord) -> None: ...
    async def latest(self, community_id: str, limit: int = 20) -> list[RoundRecord]: ...
    async def lock_community(self, community_id: str) -> None:
        """Serialise matching rounds of one community across processes until commit."""
        ...


class NoShowRepo(Protocol):
    async def add(self, report: NoShowReport, report_id: str) -> bool: ...
    async def for_members(self, member_ids: Sequence[str]) -> list[NoShowReport]: ...
    async def clear_for(self, member_id: str) -> int: ...


class FeedbackRepo(Protocol):
    async def get(self, session_id: str, part: int, author_id: str, role: FeedbackRole) -> Feedback | None: ...
    async def save(self, fb: Feedback) -> None:
        """Insert, or update the row with the same (session, part, author, role)."""
        ...

    async def for_session(self, session_id: str) -> list[Feedback]: ...
    async def about_members(self, member_ids: Sequence[str]) -> list[Feedback]:
        """Every row whose subject is one of ``member_ids`` (one query)."""
        ...

    async def for_member(self, member_id: str) -> list[Feedback]:
        """Every row the member wrote or is the subject of."""
        ...

    async def for_community(self, community_id: str) -> list[Feedback]: ...
    async def ratings_version(self, community_id: str) -> tuple[int, datetime | None, datetime | None]:
        """Count, latest reveal and latest edit of the community's revealed interviewer scores:
        changes whenever the rater calibration would."""
        ...

    async def rating_observations(self, community_id: str) -> list[Observation]:
        """Every revealed interviewer score of the community, one per dimension, oldest first
        (only the columns calibration needs)."""
        ...

    async def interviewer_rating_totals(self, community_id: str) -> dict[str, RatingTotals]:
        """Per member of the community rated as an interviewer: their revealed ratings,
        counted and summed in the database (one grouped query; see bot.core.ratings)."""
        ...

    async def mark_revealed(self, feedback_ids: Sequence[str], when: datetime) -> None: ...


class RetentionRepo(Protocol):
    async def purge(self, community_id: str, before: datetime, *, keep_step: str | None = None) -> dict[str, int]:
        """Delete the community's finished steps (but ``keep_step``), sent messages and round
        records from before ``before``; how many rows of each went."""
        ...


class StatsRepo(Protocol):
    async def community_stats(self, community_id: str, now: datetime, periods: Sequence[int]) -> CommunityStats:
        """Aggregate figures for the community over the last ``periods`` days each (a fixed
        number of queries, whatever the community's size)."""
        ...


class PrivacyRepo(Protocol):
    """What ``/mock export`` and ``/mock forget-me`` need beyond the other repositories."""

    async def lock_member(self, member_id: str) -> bool:
        """Lock the member's row until commit (a concurrent erasure waits); False when it is gone."""
        ...

    async def no_shows_involving(self, member_id: str) -> list[NoShowReport]:
        """Every report by or about the member, cleared ones included."""
        ...

    async def rounds_mentioning(self, community_id: str, member_id: str) -> list[RoundRecord]: ...
    async def count_rows(self, community_id: str, member_id: str) -> dict[str, int]:
        """Rows per table that still name the member (erasure checks)."""
        ...

    async def delete_sessions(self, session_ids: Sequence[str]) -> int: ...
    async def reassign_sessions(
        self, session_ids: Sequence[str], member_id: str, placeholder_id: str, drop_request_ids: Sequence[str]
    ) -> int:
        """Put ``placeholder_id`` in the member's seat of each session (and forget their confirmations
        and request ids)."""
        ...

    async def anonymise_feedback_subject(self, feedback_ids: Sequence[str], placeholder_id: str) -> int:
        """Re-point rows at the placeholder and drop what they said about the forgotten subject."""
        ...

    async def delete_feedback(self, feedback_ids: Sequence[str]) -> int: ...
    async def delete_no_shows(self, member_id: str) -> int: ...
    async def delete_requests(self, member_id: str) -> int: ...
    async def delete_pending_actions(self, member_id: str, request_ids: Sequence[str]) -> int:
        """Pending steps outside sessions addressed to the member or to one of their requests."""
        ...

    async def delete_outbox_for(self, member_id: str) -> int: ...
    async def delete_pending_session_posts(self, session_ids: Sequence[str]) -> int:
        """Undelivered messages tied to these sessions, whoever they are for."""
        ...

    async def scrub_rounds(self, community_id: str, member_id: str, replacement: str) -> int: ...
    async def scrub_outbox(
        self, community_id: str, session_ids: Sequence[str], replacements: Mapping[str, str]
    ) -> int:
        """Rewrite stored messages, sent ones included (those of ``session_ids``, and any of the
        community holding a key of ``replacements``), with every key replaced by its value,
        in text and text attachments alike; how many rows changed."""
        ...


class DigestRepo(Protocol):
    """What weekly digests read: one query per method, whatever the number of members."""

    async def members(self, community_id: str) -> list[DigestMember]: ...

    async def zones(self, community_id: str) -> list[str | None]:
        """Distinct zones of members who have not opted out of digests."""
        ...

    async def sessions(self, community_id: str, start_from: datetime, start_before: datetime) -> list[DigestSession]: ...
    async def attended_starts(
        self, community_id: str, start_from: datetime, start_before: datetime
    ) -> list[tuple[str, datetime]]:
        """(member, start) for each member of each session they turned up for, for streaks: both
        members of a completed session, and of a no-show session everyone not reported absent."""
        ...

    async def feedback(
        self, community_id: str, submitted_from: datetime, submitted_before: datetime,
        zones: Sequence[str | None] | None = None, *, recent_from: datetime | None = None,
    ) -> list[DigestFeedback]:
        """Feedback rows of the community's sessions (by or about members in ``zones`` when given).
        Scores come with interviewer rows only; candidate rows only from ``recent_from`` on when given."""
        ...

    async def requests(self, community_id: str, created_from: datetime, created_before: datetime) -> list[DigestRequest]: ...


class PromptPackRepo(Protocol):
    async def get(self, community_id: str, name: str) -> StoredPack | None: ...
    async def all(self) -> list[StoredPack]: ...
    async def save(self, pack: StoredPack) -> None:
        """Store the pack, replacing the community's pack of the same name (one transaction)."""
        ...

    async def delete(self, community_id: str, name: str) -> bool: ...
    async def stamps(self, community_id: str) -> tuple[str, ...]:
        """Ids of the community's stored pack rows (they change on every import): a cache key."""
        ...

    async def list(self, community_id: str) -> list[StoredPack]: ...


class FormDraftRepo(Protocol):
    """Half-filled forms (:mod:`bot.core.forms`), by their unguessable id."""

    async def add(self, draft: FormDraft) -> None: ...
    async def find(self, platform: Platform, owner_ref: str, action: str) -> FormDraft | None:
        """The member's draft of the form with this action, if any (one per form and member)."""
        ...

    async def get(self, draft_id: str, *, for_update: bool = False) -> FormDraft | None:
        """The draft; with ``for_update``, locked until commit (two presses at once queue)."""
        ...

    async def save(self, draft: FormDraft) -> None:
        """Store the draft's values, step and expiry."""
        ...

    async def delete(self, draft_id: str) -> bool:
        """True when this call deleted it (so only one submit takes a draft)."""
        ...

    async def delete_expired(self, now: datetime) -> int: ...
    async def delete_for_owner(self, platform: Platform, owner_ref: str) -> int: ...


class UnitOfWork(Protocol):
    """One transaction: everything done through it is committed together, or not at all.

    Its repositories are read-only properties: a unit of work hands them out, nobody replaces them."""

    @property
    def communities(self) -> CommunityRepo: ...

    @property
    def members(self) -> MemberRepo: ...

    @property
    def requests(self) -> RequestRepo: ...

    @property
    def sessions(self) -> SessionRepo: ...

    @property
    def actions(self) -> ActionRepo: ...

    @property
    def outbox(self) -> OutboxRepo: ...

    @property
    def rounds(self) -> RoundRepo: ...

    @property
    def no_shows(self) -> NoShowRepo: ...

    @property
    def feedback(self) -> FeedbackRepo: ...

    @property
    def packs(self) -> PromptPackRepo: ...

    @property
    def digests(self) -> DigestRepo: ...

    @property
    def privacy(self) -> PrivacyRepo: ...

    @property
    def stats(self) -> StatsRepo: ...

    @property
    def form_drafts(self) -> FormDraftRepo: ...

    @property
    def retention(self) -> RetentionRepo: ...


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

_T = TypeVar("_T")


class Offload(Protocol):
    """Somewhere to run CPU-heavy pure work so the event loop stays free (``bot.adapters.offload``).

    The app's offload runs ``fn`` in a worker process: ``fn`` must be a module-level function
    and its arguments and result plain data that pickles (the matching round's input and
    result). A thread would not do for such work: the matcher holds the GIL while it solves.
    Work that releases the loop often enough in a thread (pack checks, charts) uses
    :func:`asyncio.to_thread` instead."""

    async def run(self, fn: Callable[..., _T], /, *args: Any) -> _T:
        """``fn(*args)``, away from the event loop; its exception is raised here."""
        ...


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


class PromptSource(Protocol):
    """The question bank as the core needs it (``bot.prompts.PromptBank`` implements it)."""

    def prompts(
        self, type: InterviewType | str | None = None, level: Level | str | None = None, track: str | None = None
    ) -> tuple[Prompt, ...]: ...
    def get(self, prompt_id: str) -> Prompt: ...
    def rubric(self, rubric_id: str) -> Rubric: ...
    def rubric_for_type(self, interview_type: InterviewType | str) -> Rubric: ...


class PackCodec(Protocol):
    """Reads and checks community prompt packs (``bot.prompts`` implements it)."""

    def check(
        self, text: str, fmt: str | None, others: Sequence[ParsedPack]
    ) -> tuple[ParsedPack | None, list[PackProblem]]:
        """The pack and an empty list, or None and every problem with its place. Ids are
        checked against the bundled bank and ``others`` (the community's other packs)."""
        ...

    def combine(self, packs: Sequence[ParsedPack], disabled: frozenset[InterviewType]) -> PromptSource:
        """The bundled bank plus ``packs``, with built-in prompts of ``disabled`` types off."""
        ...

    def pack_id(self, text: str, fmt: str | None) -> str | None:
        """The pack's ``pack.id`` if the file can be read that far (to find the pack it replaces)."""
        ...

    def outline(self, text: str, fmt: str | None) -> PackOutline | None:
        """Its switched-off types and its prompts' types, read leniently; None if unreadable."""
        ...

    def bundled(self) -> PromptSource: ...
    def dump(self, pack: ParsedPack) -> str:
        """The pack as YAML in the form :meth:`check` reads."""
        ...

    def example(self, interview_type: InterviewType) -> str:
        """The bundled prompts of a type as a pack (YAML): a starting point for a community's own."""
        ...
