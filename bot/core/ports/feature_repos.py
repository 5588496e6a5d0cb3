"""The repositories of the features around the flow: feedback, retention, statistics, privacy,
digests, prompt packs and form drafts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.digest import DigestFeedback, DigestMember, DigestRequest, DigestSession
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.forms import FormDraft
from bot.core.friend_models import FriendRequest, FriendStatus
from bot.core.models import (
    NoShowReport,
    Platform,
    RoundRecord,
    ScheduledAction,
)
from bot.core.pack_models import StoredPack
from bot.core.progress import Observation
from bot.core.ratings import RatingTotals, VerdictCounts
from bot.core.report_models import Report, Suspension
from bot.core.stats import CommunityStats


class FeedbackRepo(Protocol):
    """Feedback forms, their reveal, and the ratings progress and matching read."""

    async def get(
        self, session_id: str, part: int, author_id: str, role: FeedbackRole
    ) -> Feedback | None:
        """One member's form for one part and role of a session, or None."""
        ...

    async def save(self, fb: Feedback) -> None:
        """Insert, or update the row with the same (session, part, author, role)."""
        ...

    async def for_session(self, session_id: str) -> list[Feedback]:
        """Every form of the session."""
        ...

    async def about_members(self, member_ids: Sequence[str]) -> list[Feedback]:
        """Every row whose subject is one of ``member_ids`` (one query)."""
        ...

    async def for_member(self, member_id: str) -> list[Feedback]:
        """Every row the member wrote or is the subject of."""
        ...

    async def for_community(self, community_id: str) -> list[Feedback]:
        """Every form of the community's sessions."""
        ...

    async def ratings_version(
        self, community_id: str
    ) -> tuple[int, datetime | None, datetime | None]:
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

    async def recent_verdicts(self, community_id: str, since: datetime) -> dict[str, VerdictCounts]:
        """Per candidate of the community: their interviewers' revealed verdicts since
        ``since``, counted, and how many were a no (one grouped query)."""
        ...

    async def mark_revealed(self, feedback_ids: Sequence[str], when: datetime) -> None:
        """Mark the forms revealed at ``when``."""
        ...


class FriendRequestRepo(Protocol):
    """Invitations to practise with a chosen member (``/mock schedule partner:``)."""

    async def add(self, request: FriendRequest) -> None:
        """Store a new invitation."""
        ...

    async def get(self, request_id: str, *, for_update: bool = False) -> FriendRequest | None:
        """One invitation as stored now, or None; ``for_update`` locks it first."""
        ...

    async def settle(self, request_id: str, status: FriendStatus, now: datetime) -> bool:
        """Move a pending invitation to ``status``; False when it was not pending any more."""
        ...

    async def record(
        self, request_id: str, status: FriendStatus, session_id: str | None = None
    ) -> None:
        """The outcome of an accepted invitation."""
        ...

    async def pending_from(self, requester_id: str) -> list[FriendRequest]:
        """The member's invitations still waiting for an answer, oldest first."""
        ...

    async def for_member(self, member_id: str) -> list[FriendRequest]:
        """Every invitation the member sent or received, oldest first."""
        ...


class RetentionRepo(Protocol):
    """Deleting rows past the retention period."""

    async def purge(
        self, community_id: str, before: datetime, *, keep_step: str | None = None
    ) -> dict[str, int]:
        """Delete the community's finished steps (but ``keep_step``), sent messages and round
        records from before ``before``; how many rows of each went."""
        ...


class StatsRepo(Protocol):
    """The figures of ``/mockadmin stats``."""

    async def community_stats(
        self, community_id: str, now: datetime, periods: Sequence[int]
    ) -> CommunityStats:
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

    async def rounds_mentioning(self, community_id: str, member_id: str) -> list[RoundRecord]:
        """The community's round records that mention the member."""
        ...

    async def count_rows(self, community_id: str, member_id: str) -> dict[str, int]:
        """Rows per table that still name the member (erasure checks)."""
        ...

    async def delete_sessions(self, session_ids: Sequence[str]) -> int:
        """Delete these sessions; how many."""
        ...

    async def reassign_sessions(
        self,
        session_ids: Sequence[str],
        member_id: str,
        placeholder_id: str,
        drop_request_ids: Sequence[str],
    ) -> int:
        """Put ``placeholder_id`` in the member's seat of each session (and forget their confirmations
        and request ids)."""
        ...

    async def anonymise_feedback_subject(
        self, feedback_ids: Sequence[str], placeholder_id: str
    ) -> int:
        """Re-point rows at the placeholder and drop what they said about the forgotten subject."""
        ...

    async def delete_feedback(self, feedback_ids: Sequence[str]) -> int:
        """Delete these forms; how many."""
        ...

    async def delete_no_shows(self, member_id: str) -> int:
        """Delete the reports by or about the member; how many."""
        ...

    async def delete_requests(self, member_id: str) -> int:
        """Delete the member's requests; how many."""
        ...

    async def delete_pending_actions(self, member_id: str, request_ids: Sequence[str]) -> int:
        """Pending steps outside sessions addressed to the member or to one of their requests."""
        ...

    async def delete_outbox_for(self, member_id: str) -> int:
        """Delete the messages waiting for the member; how many."""
        ...

    async def delete_pending_session_posts(self, session_ids: Sequence[str]) -> int:
        """Undelivered messages tied to these sessions, whoever they are for."""
        ...

    async def pending_room_steps(self, session_ids: Sequence[str]) -> list[ScheduledAction]:
        """The pending voice-channel and event steps of these sessions (one query)."""
        ...

    async def scrub_rounds(self, community_id: str, member_id: str, replacement: str) -> int:
        """Replace the member's id in the community's round records by ``replacement``; how many
        records changed."""
        ...

    async def scrub_outbox(
        self, community_id: str, session_ids: Sequence[str], replacements: Mapping[str, str]
    ) -> int:
        """Rewrite stored messages, sent ones included (those of ``session_ids``, and any of the
        community holding a key of ``replacements``), with every key replaced by its value,
        in text and text attachments alike; how many rows changed."""
        ...


class DigestRepo(Protocol):
    """What weekly digests read: one query per method, whatever the number of members."""

    async def members(self, community_id: str) -> list[DigestMember]:
        """The community's members as digests need them."""
        ...

    async def zones(self, community_id: str) -> list[str | None]:
        """Distinct zones of members who have not opted out of digests."""
        ...

    async def sessions(
        self, community_id: str, start_from: datetime, start_before: datetime
    ) -> list[DigestSession]:
        """The community's sessions starting in ``[start_from, start_before)``."""
        ...

    async def attended_starts(
        self, community_id: str, start_from: datetime, start_before: datetime
    ) -> list[tuple[str, datetime]]:
        """(member, start) for each member of each session they turned up for, for streaks: both
        members of a completed session, and of a no-show session everyone not reported absent."""
        ...

    async def feedback(
        self,
        community_id: str,
        submitted_from: datetime,
        submitted_before: datetime,
        zones: Sequence[str | None] | None = None,
        *,
        recent_from: datetime | None = None,
    ) -> list[DigestFeedback]:
        """Feedback rows of the community's sessions (by or about members in ``zones`` when given).
        Scores come with interviewer rows only; candidate rows only from ``recent_from`` on when given."""
        ...

    async def requests(
        self, community_id: str, created_from: datetime, created_before: datetime
    ) -> list[DigestRequest]:
        """The community's requests created in ``[created_from, created_before)``."""
        ...


class PromptPackRepo(Protocol):
    """Community prompt packs, stored as their text."""

    async def get(self, community_id: str, name: str) -> StoredPack | None:
        """The community's pack with this id, or None."""
        ...

    async def all(self) -> list[StoredPack]:
        """Every stored pack of every community."""
        ...

    async def save(self, pack: StoredPack) -> None:
        """Store the pack, replacing the community's pack of the same name (one transaction)."""
        ...

    async def delete(self, community_id: str, name: str) -> bool:
        """Delete the pack; False if there was none."""
        ...

    async def stamps(self, community_id: str) -> tuple[str, ...]:
        """Ids of the community's stored pack rows (they change on every import): a cache key."""
        ...

    async def list(self, community_id: str) -> list[StoredPack]:
        """The community's packs."""
        ...


class FormDraftRepo(Protocol):
    """Half-filled forms (:mod:`bot.core.forms`), by their unguessable id."""

    async def add(self, draft: FormDraft) -> None:
        """Store a new draft."""
        ...

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

    async def delete_expired(self, now: datetime) -> int:
        """Delete the drafts expired at ``now``; how many."""
        ...

    async def delete_for_owner(self, platform: Platform, owner_ref: str) -> int:
        """Delete every draft of a platform user; how many."""
        ...


class ReportRepo(Protocol):
    """Members' reports about a session's partner, and suspensions from matching."""

    async def add(self, report: Report) -> bool:
        """Store a report; False if the reporter reported that session already."""
        ...

    async def get(self, report_id: str) -> Report | None:
        """One report, or None."""
        ...

    async def by_reporter(self, session_id: str, reporter_id: str) -> Report | None:
        """The reporter's report about that session, or None."""
        ...

    async def reported_sessions(self, reporter_id: str, session_ids: Sequence[str]) -> set[str]:
        """Which of ``session_ids`` the reporter has reported."""
        ...

    async def for_community(self, community_id: str, *, limit: int) -> list[Report]:
        """The community's reports, open ones first, newest first within each, at most ``limit``."""
        ...

    async def resolve(self, report_id: str, by: str, when: datetime) -> bool:
        """Mark an open report resolved; False if it was resolved already (or is gone)."""
        ...

    async def add_suspension(self, suspension: Suspension) -> None:
        """Store a suspension."""
        ...

    async def get_suspension(self, suspension_id: str) -> Suspension | None:
        """One suspension, or None."""
        ...

    async def active_suspension(self, member_id: str, now: datetime) -> Suspension | None:
        """The member's suspension in force at ``now`` (the latest-ending), or None."""
        ...

    async def suspended_members(self, community_id: str, now: datetime) -> set[str]:
        """The ids of the community's members suspended at ``now`` (one query)."""
        ...

    async def lift(self, member_id: str, by: str, now: datetime) -> int:
        """End the member's suspensions in force at ``now``; how many."""
        ...

    async def suspensions(self, community_id: str, *, limit: int) -> list[Suspension]:
        """The community's suspensions, newest first (the admins' audit), at most ``limit``."""
        ...
