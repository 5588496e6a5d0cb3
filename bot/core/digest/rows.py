"""The plain rows digests are built from (fetched in a fixed number of queries per community),
and :class:`DigestData`, which indexes them once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from bot.core.feedback_models import FeedbackRole
from bot.core.models import SessionState
from bot.core.vocab import RolePreference


@dataclass(frozen=True)
class DigestMember:
    """What a digest needs of a member."""

    id: str
    display_name: str
    timezone: str | None
    level: str | None
    digest_opt_out: bool
    digest_nudge: bool


@dataclass(frozen=True)
class DigestSession:
    """What a digest needs of a session."""

    id: str
    interview_type: str
    interviewer_id: str
    candidate_id: str
    swap: bool
    start: datetime
    minutes: int
    state: SessionState

    @property
    def end(self) -> datetime:
        """When the session ends."""
        return self.start + timedelta(minutes=self.minutes)

    def parts(self) -> tuple[tuple[int, str, str], ...]:
        """(part, interviewer, candidate) for each part."""
        one = (1, self.interviewer_id, self.candidate_id)
        return (one, (2, self.candidate_id, self.interviewer_id)) if self.swap else (one,)


@dataclass(frozen=True)
class DigestFeedback:
    """What a digest needs of one feedback form."""

    session_id: str
    part: int
    author_id: str
    subject_id: str
    role: FeedbackRole
    interview_type: str
    scores: dict[str, int]
    submitted_at: datetime
    revealed_at: datetime | None


@dataclass(frozen=True)
class DigestRequest:
    """What a digest needs of an interview request."""

    member_id: str
    interview_type: str
    role: RolePreference
    status: str
    created_at: datetime


@dataclass(frozen=True)
class DigestData:
    """What one community's digests are built from, indexed once."""

    members: dict[str, DigestMember]
    sessions: Sequence[DigestSession]
    feedback: Sequence[DigestFeedback]
    #: (member, start) of the sessions each member turned up for, for streaks: a partner's
    #: no-show breaks nobody's streak but the absent member's.
    attended: Sequence[tuple[str, datetime]] = ()
    requests: Sequence[DigestRequest] = ()
    by_member: dict[str, list[DigestSession]] = field(default_factory=dict)
    received: dict[str, list[DigestFeedback]] = field(default_factory=dict)
    #: Forms each member wrote: (session, part, as interviewer).
    written: dict[str, set[tuple[str, int, bool]]] = field(default_factory=dict)
    starts: dict[str, list[datetime]] = field(default_factory=dict)
    #: Per member, the mock loops debriefed around the week: (when, the debrief's digest line).
    loops: dict[str, tuple[tuple[datetime, str], ...]] = field(default_factory=dict)

    @cached_property
    def names(self) -> dict[str, str]:
        """Member id -> display name."""
        return {mid: m.display_name for mid, m in self.members.items()}

    @classmethod
    def index(
        cls,
        members: Iterable[DigestMember],
        sessions: Sequence[DigestSession],
        feedback: Sequence[DigestFeedback],
        attended: Sequence[tuple[str, datetime]] = (),
        requests: Sequence[DigestRequest] = (),
    ) -> DigestData:
        """Index the rows once: sessions and feedback by member, the forms each member wrote,
        their session starts."""
        by_member: dict[str, list[DigestSession]] = defaultdict(list)
        for s in sessions:
            by_member[s.interviewer_id].append(s)
            by_member[s.candidate_id].append(s)
        received: dict[str, list[DigestFeedback]] = defaultdict(list)
        written: dict[str, set[tuple[str, int, bool]]] = defaultdict(set)
        for fb in feedback:
            as_interviewer = fb.role is FeedbackRole.INTERVIEWER
            written[fb.author_id].add((fb.session_id, fb.part, as_interviewer))
            if as_interviewer and fb.revealed_at is not None:
                received[fb.subject_id].append(fb)
        starts: dict[str, list[datetime]] = defaultdict(list)
        for member_id, start in attended:
            starts[member_id].append(start)
        return cls(
            {m.id: m for m in members},
            sessions,
            feedback,
            attended,
            requests,
            dict(by_member),
            dict(received),
            dict(written),
            dict(starts),
        )
