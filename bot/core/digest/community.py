"""The community digest: the admins' week (requests, matches, sessions held, no-shows, feedback,
top interviewers, shortages), and the funnel of recent weeks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.digest.rows import DigestData
from bot.core.digest.timing import FEEDBACK_WINDOW, WEEK, IsoWeek
from bot.core.feedback_models import FeedbackRole
from bot.core.models import SessionState
from bot.core.ratings import DIGEST_MIN_RATINGS, RatingTotals, community_mean, smoothed
from bot.core.vocab import RolePreference

TOP_INTERVIEWERS = 5


@dataclass(frozen=True)
class TopInterviewer:
    """One of the community's best-rated interviewers: their reputation (the smoothed rating,
    1..4, from ``ratings`` ratings) and how many parts they interviewed this week."""

    name: str
    rating: float
    ratings: int
    this_week: int


@dataclass(frozen=True)
class TypeShortage:
    """An interview type with more candidates waiting than interviewers offering."""

    interview_type: str
    candidates: int
    interviewers: int


@dataclass(frozen=True)
class CommunityDigest:
    """A community's week for its admins: requests, matches, sessions held, no-shows, feedback,
    top interviewers and shortages."""

    week: IsoWeek
    due: datetime
    requested: int
    matched: int
    #: This week's requests that expired unmatched (withdrawn ones and open ones are left out).
    expired: int
    held: int
    no_shows: int
    feedback_expected: int
    feedback_submitted: int
    #: The best-rated interviewers (reputation, at least ``DIGEST_MIN_RATINGS`` ratings).
    top_interviewers: tuple[TopInterviewer, ...]
    shortages: tuple[TypeShortage, ...]

    @property
    def match_rate(self) -> float | None:
        """Matched among this week's requests (a request's unit, never a session's)."""
        return self.matched / self.requested if self.requested else None

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among this week's finished sessions (held or no-show); None without any."""
        finished = self.held + self.no_shows
        return self.no_shows / finished if finished else None

    @property
    def feedback_rate(self) -> float | None:
        """Feedback forms submitted among those expected; None when none were expected."""
        return self.feedback_submitted / self.feedback_expected if self.feedback_expected else None


def top_interviewers(
    ratings: Mapping[str, RatingTotals], gave: Mapping[str, int], names: Mapping[str, str]
) -> tuple[TopInterviewer, ...]:
    """The best interviewers by reputation: the rating shrunk toward the community's mean
    (bot/core/ratings.py), among members with at least ``DIGEST_MIN_RATINGS`` ratings; ties go
    to more interviews this week, then the name."""
    mean = community_mean(ratings)
    ranked = []
    for member_id, totals in ratings.items():
        if totals.ratings < DIGEST_MIN_RATINGS or member_id not in names:
            continue
        rep = smoothed(member_id, ratings, mean=mean)
        ranked.append(
            TopInterviewer(names[member_id], rep.smoothed, rep.ratings, gave.get(member_id, 0))
        )
    ranked.sort(key=lambda t: (-round(t.rating, 6), -t.this_week, t.name))
    return tuple(ranked[:TOP_INTERVIEWERS])


def community_digest(
    week: IsoWeek,
    due: datetime,
    data: DigestData,
    ratings: Mapping[str, RatingTotals] | None = None,
) -> CommunityDigest:
    """The community digest for the week ending at ``due`` (``ratings``: the community's
    revealed interviewer ratings, for its top interviewers)."""
    since = due - WEEK
    requests = [r for r in data.requests if since <= r.created_at < due]
    matched = sum(1 for r in requests if r.status == "matched")
    expired = sum(1 for r in requests if r.status == "expired")
    this_week = [s for s in data.sessions if since <= s.start < due]
    held = [s for s in this_week if s.state is SessionState.COMPLETED]
    no_shows = sum(1 for s in this_week if s.state is SessionState.NO_SHOW)
    # Feedback completion over the sessions whose feedback window closed this week.
    closed = [
        s
        for s in data.sessions
        if s.state is SessionState.COMPLETED and since <= s.end + FEEDBACK_WINDOW < due
    ]
    closed_ids = {s.id for s in closed}
    submitted_forms = {
        (fb.session_id, fb.part, fb.role is FeedbackRole.INTERVIEWER)
        for fb in data.feedback
        if fb.session_id in closed_ids
    }
    expected = submitted = 0
    for s in closed:
        for part, _iv, _cand in s.parts():
            for as_interviewer in (True, False):
                expected += 1
                submitted += (s.id, part, as_interviewer) in submitted_forms
    gave: dict[str, int] = defaultdict(int)
    for s in held:
        for _part, iv, _cand in s.parts():
            gave[iv] += 1

    top = top_interviewers(ratings or {}, gave, data.names)
    wants: dict[str, set[str]] = defaultdict(set)
    offers: dict[str, set[str]] = defaultdict(set)
    for r in requests:
        if r.role in (RolePreference.CANDIDATE, RolePreference.SWAP):
            wants[r.interview_type].add(r.member_id)
        if r.role in (RolePreference.INTERVIEWER, RolePreference.SWAP):
            offers[r.interview_type].add(r.member_id)
    shortages = tuple(
        sorted(
            (
                TypeShortage(kind, len(who), len(offers.get(kind, set())))
                for kind, who in wants.items()
                if len(offers.get(kind, set())) < len(who)
            ),
            key=lambda t: (t.interviewers - t.candidates, t.interview_type),
        )
    )
    return CommunityDigest(
        week,
        due,
        len(requests),
        matched,
        expired,
        len(held),
        no_shows,
        expected,
        submitted,
        top,
        shortages,
    )


#: Weeks of the admins' funnel picture (community digest and ``/mockadmin stats``).
FUNNEL_WEEKS = 8


def funnel_weeks(
    due: datetime, data: DigestData, weeks: int = FUNNEL_WEEKS
) -> tuple[CommunityDigest, ...]:
    """The community digest of each of the ``weeks`` seven-day spans up to ``due``, oldest first
    (``data`` must reach back that far: :func:`funnel_window`)."""
    out = []
    for k in range(weeks - 1, -1, -1):
        end = due - k * WEEK
        out.append(community_digest(IsoWeek.of((end - WEEK).date()), end, data))
    return tuple(out)


def funnel_window(due: datetime, weeks: int = FUNNEL_WEEKS) -> tuple[datetime, datetime]:
    """From when to when sessions, feedback and requests are read for :func:`funnel_weeks`
    (sessions also a week past ``due``, as the digest reads them)."""
    return due - (weeks + 1) * WEEK - FEEDBACK_WINDOW, due
