"""Progress maths, pure: scores over time, trends, readiness, rater calibration, self-assessment gap.

Calibration fits the additive model ``score = ability(subject, type, dimension) + offset(rater) + noise``
by alternating least squares. Offsets are shrunk towards zero (ridge: a rater with few ratings
keeps an offset near zero) and centred so that the community's average offset is zero.
See ``docs/feedback.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

import numpy as np

from bot.core.feedback_models import Feedback, FeedbackRole

#: Scores are given against the member's target level: 3 means "meets the bar".
MEETS = 3.0
CLOSE = 2.5
SECONDS_PER_DAY = 86400.0
#: A trend is shown from this many scored sessions on ...
TREND_MIN_SESSIONS = 4
#: ... spread over at least this long: before that, a slope is mostly noise.
TREND_MIN_SPAN = timedelta(weeks=3)
#: Where scores are shown to the member they are about, one line says which scores they are:
#: ``/mock progress`` shows them calibrated, the weekly digest as given (recomputing the
#: community's calibration for every digest would double its cost; see docs/feedback.md).
CALIBRATED_NOTE = (
    "Calibrated scores: adjusted for how strict each interviewer tends to be "
    "(the weekly digest shows them as given)."
)
RAW_NOTE = (
    "Raw scores, as your interviewers gave them (`/mock progress` adjusts them for how "
    "strict each interviewer tends to be)."
)
#: What a member reads while a trend is not shown yet.
TREND_RULE = (
    f"A trend shows after {TREND_MIN_SESSIONS} scored sessions over at least "
    f"{TREND_MIN_SPAN.days // 7} weeks."
)


@dataclass(frozen=True)
class Observation:
    """One interviewer score of one dimension of a member, with who gave it and when."""

    subject_id: str
    rater_id: str
    interview_type: str
    dimension: str
    score: float
    when: datetime


def observations(rows: Iterable[Feedback]) -> list[Observation]:
    """Interviewer scores only (self-scores are not ratings of someone else)."""
    out = []
    for fb in rows:
        if fb.role is not FeedbackRole.INTERVIEWER:
            continue
        for dim, score in fb.scores.items():
            out.append(
                Observation(
                    fb.subject_id,
                    fb.author_id,
                    fb.interview_type or "unknown",
                    dim,
                    float(score),
                    fb.submitted_at,
                )
            )
    return out


def slope_per_day(points: Sequence[tuple[datetime, float]]) -> float:
    """Least-squares slope of score against time, in points per day (0 with fewer than 2 times)."""
    if len(points) < 2:
        return 0.0
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / SECONDS_PER_DAY for t, _ in points]
    ys = [y for _, y in points]
    mx, my = fmean(xs), fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def trend_per_30_days(points: Sequence[tuple[datetime, float]]) -> float | None:
    """The least-squares trend in points per 30 days, or None while it would mean little:
    fewer than :data:`TREND_MIN_SESSIONS` points, or spread over less than :data:`TREND_MIN_SPAN`."""
    if len(points) < TREND_MIN_SESSIONS:
        return None
    times = [t for t, _ in points]
    if max(times) - min(times) < TREND_MIN_SPAN:
        return None
    return 30 * slope_per_day(points)


@dataclass(frozen=True)
class Calibration:
    """How strict each interviewer is: an offset subtracted from their scores (positive:
    generous)."""

    offsets: dict[str, float]
    counts: dict[str, int]

    def offset(self, rater_id: str) -> float:
        """The offset of ``rater_id`` (0 for an interviewer not seen)."""
        return self.offsets.get(rater_id, 0.0)

    def adjust(self, obs: Observation) -> float:
        """The observation's score with its interviewer's offset removed."""
        return obs.score - self.offset(obs.rater_id)


def calibrate(
    obs: Sequence[Observation],
    *,
    shrinkage: float = 3.0,
    iterations: int = 100,
    tolerance: float = 1e-6,
) -> Calibration:
    """Estimate each rater's additive offset (alternating least squares with ridge shrinkage).

    Vectorised: each iteration is a few ``bincount`` passes over the observations, so a
    community with 100,000 feedback rows calibrates in well under a second.
    """
    if not obs:
        return Calibration({}, {})
    rater_ids: dict[str, int] = {}
    group_ids: dict[tuple[str, str, str], int] = {}
    rater = np.fromiter(
        (rater_ids.setdefault(o.rater_id, len(rater_ids)) for o in obs),
        dtype=np.int64,
        count=len(obs),
    )
    group = np.fromiter(
        (
            group_ids.setdefault((o.subject_id, o.interview_type, o.dimension), len(group_ids))
            for o in obs
        ),
        dtype=np.int64,
        count=len(obs),
    )
    score = np.fromiter((o.score for o in obs), dtype=np.float64, count=len(obs))
    counts = np.bincount(rater, minlength=len(rater_ids)).astype(np.float64)
    per_group = np.bincount(group, minlength=len(group_ids)).astype(np.float64)
    total = float(counts.sum())
    offsets = np.zeros(len(rater_ids), dtype=np.float64)
    for _ in range(iterations):
        ability = (
            np.bincount(group, weights=score - offsets[rater], minlength=len(group_ids)) / per_group
        )
        residual = np.bincount(rater, weights=score - ability[group], minlength=len(rater_ids))
        new = residual / (counts + shrinkage)
        new -= float((new * counts).sum()) / total
        change = float(np.abs(new - offsets).max())
        offsets = new
        if change < tolerance:
            break
    names = list(rater_ids)
    return Calibration(
        {r: float(offsets[k]) for k, r in enumerate(names)},
        {r: int(counts[k]) for k, r in enumerate(names)},
    )


@dataclass(frozen=True)
class DimensionProgress:
    """A member's calibrated scores over time in one dimension, with their mean, recent level and
    trend."""

    interview_type: str
    dimension: str
    #: (when, calibrated score) in time order.
    points: tuple[tuple[datetime, float], ...]
    mean: float
    recent: float
    #: None until the points say something (see :func:`trend_per_30_days`).
    trend_per_30_days: float | None


@dataclass(frozen=True)
class TypeReadiness:
    """How ready a member is for one interview type: a score, a status (ready, close, building)
    and the weakest dimension."""

    interview_type: str
    score: float
    status: str  # "ready", "close", "building"
    weakest: str | None


@dataclass(frozen=True)
class MemberProgress:
    """Everything the progress picture and ``/mock progress`` show of one member."""

    member_id: str
    dimensions: tuple[DimensionProgress, ...]
    strongest: DimensionProgress | None
    weakest: DimensionProgress | None
    readiness: tuple[TypeReadiness, ...]
    #: (when, mean self-score minus mean interviewer score) per session part.
    self_gap: tuple[tuple[datetime, float], ...]
    self_gap_trend_per_30_days: float | None
    sessions_scored: int


def member_progress(
    member_id: str, rows: Sequence[Feedback], calibration: Calibration, *, recent: int = 3
) -> MemberProgress:
    """``rows``: feedback the member received (revealed) and wrote as candidate (self-scores)."""
    received = [
        fb for fb in rows if fb.subject_id == member_id and fb.role is FeedbackRole.INTERVIEWER
    ]
    series: dict[tuple[str, str], list[tuple[datetime, float]]] = defaultdict(list)
    for o in observations(received):
        series[(o.interview_type, o.dimension)].append((o.when, calibration.adjust(o)))
    dims: list[DimensionProgress] = []
    for (kind, dim), pts in sorted(series.items()):
        pts.sort(key=lambda p: p[0])
        values = [v for _, v in pts]
        dims.append(
            DimensionProgress(
                kind,
                dim,
                tuple(pts),
                fmean(values),
                fmean(values[-recent:]),
                trend_per_30_days(pts),
            )
        )
    strongest = max(dims, key=lambda d: (d.recent, d.dimension), default=None)
    weakest = min(dims, key=lambda d: (d.recent, d.dimension), default=None)
    readiness = []
    for kind in sorted({d.interview_type for d in dims}):
        of_kind = [d for d in dims if d.interview_type == kind]
        score = fmean(d.recent for d in of_kind)
        low = min(of_kind, key=lambda d: d.recent)
        status = (
            "ready"
            if score >= MEETS and low.recent >= CLOSE
            else "close"
            if score >= CLOSE
            else "building"
        )
        readiness.append(
            TypeReadiness(kind, score, status, low.dimension if low.recent < MEETS else None)
        )
    gaps = self_assessment_gap(member_id, rows)
    return MemberProgress(
        member_id,
        tuple(dims),
        strongest,
        weakest,
        tuple(readiness),
        tuple(gaps),
        trend_per_30_days(gaps),
        len({(fb.session_id, fb.part) for fb in received}),
    )


def self_assessment_gap(member_id: str, rows: Sequence[Feedback]) -> list[tuple[datetime, float]]:
    """Per session part where both exist: mean self-score minus mean interviewer score (raw)."""
    theirs = {
        (fb.session_id, fb.part): fb
        for fb in rows
        if fb.role is FeedbackRole.INTERVIEWER and fb.subject_id == member_id
    }
    out = []
    for fb in rows:
        if (
            fb.role is FeedbackRole.CANDIDATE
            and fb.author_id == member_id
            and (fb.session_id, fb.part) in theirs
        ):
            other = theirs[(fb.session_id, fb.part)]
            shared = sorted(set(fb.scores) & set(other.scores))
            if shared:
                gap = fmean(fb.scores[d] for d in shared) - fmean(other.scores[d] for d in shared)
                out.append((fb.submitted_at, gap))
    return sorted(out, key=lambda p: p[0])
