"""The personal digest: a member's week (sessions done, score changes, what to focus on,
feedback owed, sessions coming, streak)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.digest.rows import DigestData, DigestFeedback, DigestSession
from bot.core.digest.timing import FEEDBACK_WINDOW, WEEK, IsoWeek
from bot.core.models import SessionState

#: Scores older than this do not count for score changes or the weakest dimension.
LOOKBACK = timedelta(days=90)
#: Streaks are counted back this many weeks at most (shown as "26+").
STREAK_WEEKS = 26
#: Recent scores per dimension that make up "where you are now".
RECENT = 3


@dataclass(frozen=True)
class ScoreChange:
    """A dimension's score before the week and now."""

    interview_type: str
    dimension: str
    before: float | None
    now: float


@dataclass(frozen=True)
class Focus:
    """The dimension a member should work on next, with their recent score."""

    interview_type: str
    dimension: str
    recent: float


@dataclass(frozen=True)
class PersonalDigest:
    """One member's week: sessions done, score changes, what to focus on, feedback owed, sessions
    coming, streak."""

    member_id: str
    week: IsoWeek
    due: datetime
    done: tuple[DigestSession, ...]
    changes: tuple[ScoreChange, ...]
    weakest: Focus | None
    owed: tuple[DigestSession, ...]
    upcoming: tuple[DigestSession, ...]
    streak: int
    #: The member's mock loops debriefed this week, one line each.
    loops: tuple[str, ...] = ()

    @property
    def quiet(self) -> bool:
        """Nothing happened and nothing is coming: a nudge or nothing, as the member chose."""
        return not (self.done or self.changes or self.owed or self.upcoming or self.loops)


def personal_digest(
    member_id: str, week: IsoWeek, due: datetime, data: DigestData
) -> PersonalDigest:
    """The personal digest of ``member_id`` for the week ending at ``due``."""
    since = due - WEEK
    mine = data.by_member.get(member_id, [])
    done = tuple(
        sorted(
            (s for s in mine if s.state is SessionState.COMPLETED and since <= s.start < due),
            key=lambda s: s.start,
        )
    )
    upcoming = tuple(
        sorted(
            (
                s
                for s in mine
                if s.state in (SessionState.PROPOSED, SessionState.CONFIRMED)
                and due <= s.start < due + WEEK
            ),
            key=lambda s: s.start,
        )
    )
    written = data.written.get(member_id, set())
    owed = []
    for s in mine:
        if s.state is not SessionState.COMPLETED or not (s.end <= due <= s.end + FEEDBACK_WINDOW):
            continue
        forms = [
            (s.id, part, member_id == iv) for part, iv, cand in s.parts() if member_id in (iv, cand)
        ]
        if any(f not in written for f in forms):
            owed.append(s)
    changes, weakest = _scores(data.received.get(member_id, []), due)
    return PersonalDigest(
        member_id,
        week,
        due,
        done,
        changes,
        weakest,
        tuple(sorted(owed, key=lambda s: s.start)),
        upcoming,
        streak(data.starts.get(member_id, []), due),
        tuple(line for at, line in data.loops.get(member_id, ()) if since < at <= due),
    )


def _scores(
    received: Sequence[DigestFeedback], due: datetime
) -> tuple[tuple[ScoreChange, ...], Focus | None]:
    """Score changes (this week's revealed scores against the earlier ones) and the weakest
    dimension (the mean of its last :data:`RECENT` scores by submission, the lowest first).

    One pass over the member's feedback builds each dimension's points; a digest run reads
    this for every member, so it stays a plain loop."""
    since, oldest = due - WEEK, due - LOOKBACK
    points: dict[tuple[str, str], list[tuple[datetime, int, bool]]] = {}
    for fb in received:
        seen = fb.revealed_at
        if seen is None or seen >= due or fb.submitted_at < oldest:
            continue
        fresh, at, kind = seen >= since, fb.submitted_at, fb.interview_type
        for dim, score in fb.scores.items():
            found = points.get((kind, dim))
            if found is None:
                points[(kind, dim)] = [(at, score, fresh)]
            else:
                found.append((at, score, fresh))
    changes: list[ScoreChange] = []
    weakest: Focus | None = None
    for key in sorted(points):
        pts = points[key]
        new = [score for _at, score, fresh in pts if fresh]
        if new:
            old = [score for _at, score, fresh in pts if not fresh]
            before = sum(old) / len(old) if old else None
            changes.append(ScoreChange(key[0], key[1], before, sum(new) / len(new)))
        last = sorted((at, score) for at, score, _fresh in pts)[-RECENT:]
        focus = Focus(key[0], key[1], sum(score for _at, score in last) / len(last))
        if weakest is None or (focus.recent, focus.interview_type, focus.dimension) < (
            weakest.recent,
            weakest.interview_type,
            weakest.dimension,
        ):
            weakest = focus
    return tuple(changes), weakest


#: "Since last month" in the digest's picture: where a dimension stood this long before the digest.
MONTH = timedelta(days=30)


def month_changes(received: Sequence[DigestFeedback], due: datetime) -> tuple[ScoreChange, ...]:
    """Per dimension scored in the month before ``due``: the recent average (last :data:`RECENT`
    scores revealed by ``due``) against the same a month earlier (None: no score before then).
    Raw scores, as the digest shows them; dimensions with no new score this month are left out."""
    points: dict[tuple[str, str], list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for fb in received:
        seen = fb.revealed_at
        if seen is None or seen >= due or fb.submitted_at < due - LOOKBACK:
            continue
        for dim, score in fb.scores.items():
            points[(fb.interview_type, dim)].append((fb.submitted_at, seen, score))
    out = []
    for (kind, dim), pts in sorted(points.items()):
        pts.sort()
        if not any(seen >= due - MONTH for _, seen, _ in pts):
            continue
        then = [(when, score) for when, seen, score in pts if seen < due - MONTH]
        now = [(when, score) for when, _, score in pts]
        out.append(
            ScoreChange(kind, dim, _mean(then[-RECENT:]) if then else None, _mean(now[-RECENT:]))
        )
    return tuple(out)


def _mean(points: Sequence[tuple[datetime, int]]) -> float:
    return sum(s for _, s in points) / len(points)


def streak(starts: Iterable[datetime], due: datetime) -> int:
    """Consecutive weeks (seven-day spans back from ``due``) with at least one session the
    member turned up for."""
    weeks = {int((due - s) / WEEK) for s in starts if s < due}
    count = 0
    while count in weeks and count < STREAK_WEEKS:
        count += 1
    return count
