"""Progress maths: trends, readiness, self-assessment gap and rater calibration on synthetic data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.progress import (
    TREND_MIN_SESSIONS,
    TREND_MIN_SPAN,
    Observation,
    calibrate,
    member_progress,
    slope_per_day,
    trend_per_30_days,
)
from bot.core.services.progress import self_assessment

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_slope_is_least_squares_per_day() -> None:
    pts = [(T + timedelta(days=d), 1.0 + 0.1 * d) for d in (0, 2, 5, 9)]
    assert abs(slope_per_day(pts) - 0.1) < 1e-9
    assert slope_per_day(pts[:1]) == 0.0
    assert slope_per_day([(T, 1.0), (T, 3.0)]) == 0.0


@given(st.floats(-2, 2), st.floats(0, 4))
def test_slope_recovers_any_line(a: float, b: float) -> None:
    pts = [(T + timedelta(days=d), b + a * d) for d in range(5)]
    assert abs(slope_per_day(pts) - a) < 1e-6


def _synthetic(
    offsets: dict[str, float],
    *,
    subjects: int = 40,
    ratings: int = 12,
    noise: float = 0.3,
    rounded: bool = False,
    seed: int = 7,
) -> list[Observation]:
    rng = random.Random(seed)
    raters = list(offsets)
    obs = []
    for s in range(subjects):
        ability = {d: rng.uniform(1.6, 3.4) for d in ("comm", "algo", "code", "test")}
        for k in range(ratings):
            rater = rng.choice(raters)
            for dim, a in ability.items():
                score = a + offsets[rater] + rng.gauss(0, noise)
                if rounded:
                    score = float(min(4, max(1, round(score))))
                obs.append(Observation(f"s{s}", rater, "coding", dim, score, T + timedelta(days=k)))
    return obs


def test_calibration_recovers_known_rater_offsets() -> None:
    offsets = {
        "harsh": -0.8,
        "tough": -0.4,
        "fair": 0.0,
        "fair2": 0.0,
        "kind": 0.4,
        "generous": 0.8,
    }
    cal = calibrate(_synthetic(offsets), shrinkage=1.0)
    for rater, true in offsets.items():
        assert abs(cal.offset(rater) - true) < 0.1, (rater, cal.offset(rater))


def test_calibration_with_rounded_scores_keeps_the_order_and_size() -> None:
    offsets = {"harsh": -0.6, "fair": 0.0, "fair2": 0.0, "generous": 0.6}
    cal = calibrate(_synthetic(offsets, rounded=True, seed=3))
    assert cal.offset("harsh") < cal.offset("fair") < cal.offset("generous")
    for rater, true in offsets.items():
        assert abs(cal.offset(rater) - true) < 0.25


def test_shrinkage_keeps_a_rare_rater_near_zero() -> None:
    obs = _synthetic({"a": 0.0, "b": 0.0})
    obs.append(Observation("s0", "once", "coding", "comm", 4.0, T))
    cal = calibrate(obs, shrinkage=5.0)
    assert abs(cal.offset("once")) < 0.4
    assert calibrate([]).offsets == {}


def _fb(
    session: str, author: str, subject: str, role: FeedbackRole, scores: dict[str, int], day: int
) -> Feedback:
    when = T + timedelta(days=day)
    return Feedback(
        id=f"{session}{role.value}",
        session_id=session,
        part=1,
        author_id=author,
        subject_id=subject,
        role=role,
        scores=scores,
        submitted_at=when,
        updated_at=when,
        interview_type="coding",
        revealed_at=when,
    )


def test_member_progress_trend_strongest_weakest_readiness_and_self_gap() -> None:
    rows = []
    for i, day in enumerate((0, 10, 20, 30)):
        rows.append(
            _fb(
                f"s{i}",
                "iv",
                "me",
                FeedbackRole.INTERVIEWER,
                {"comm": 2 + (i >= 2), "algo": 4},
                day,
            )
        )
        rows.append(_fb(f"s{i}", "me", "iv", FeedbackRole.CANDIDATE, {"comm": 4, "algo": 4}, day))
    cal = calibrate([])
    report = member_progress("me", rows, cal)
    assert report.sessions_scored == 4
    comm = next(d for d in report.dimensions if d.dimension == "comm")
    assert comm.trend_per_30_days > 0 and comm.recent > comm.points[0][1]
    assert report.strongest is not None and report.strongest.dimension == "algo"
    assert report.weakest is not None and report.weakest.dimension == "comm"
    assert report.readiness[0].status == "ready"  # recent comm = 2.67 ≥ 2.5, mean ≥ 3
    assert [round(g, 2) for _, g in report.self_gap] == [1.0, 1.0, 0.5, 0.5]
    assert report.self_gap_trend_per_30_days < 0  # self-assessment converging


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), st.floats(-1, 1), min_size=2, max_size=6))
def test_calibration_offsets_are_centred(offsets: dict[str, float]) -> None:
    cal = calibrate(_synthetic(offsets, subjects=8, ratings=6))
    total = sum(cal.counts.values())
    assert abs(sum(cal.offsets[r] * cal.counts[r] for r in cal.counts) / total) < 1e-6


def _calibrate_by_definition(
    obs: list[Observation], shrinkage: float = 3.0, iterations: int = 100, tolerance: float = 1e-6
) -> dict[str, float]:
    """The alternating least squares written out with plain dictionaries, one observation at a time."""
    counts: dict[str, int] = {}
    for o in obs:
        counts[o.rater_id] = counts.get(o.rater_id, 0) + 1
    offsets = {r: 0.0 for r in counts}
    for _ in range(iterations):
        sums: dict[tuple[str, str, str], list[float]] = {}
        for o in obs:
            acc = sums.setdefault((o.subject_id, o.interview_type, o.dimension), [0.0, 0.0])
            acc[0] += o.score - offsets[o.rater_id]
            acc[1] += 1
        ability = {k: s / n for k, (s, n) in sums.items()}
        residual = dict.fromkeys(counts, 0.0)
        for o in obs:
            residual[o.rater_id] += o.score - ability[(o.subject_id, o.interview_type, o.dimension)]
        new = {r: residual[r] / (counts[r] + shrinkage) for r in counts}
        centre = sum(new[r] * counts[r] for r in counts) / sum(counts.values())
        new = {r: v - centre for r, v in new.items()}
        change = max(abs(new[r] - offsets[r]) for r in counts)
        offsets = new
        if change < tolerance:
            break
    return offsets


def test_vectorised_calibration_equals_the_definition() -> None:
    offsets = {"harsh": -0.7, "fair": 0.0, "kind": 0.5, "rare": 0.9}
    obs = _synthetic(offsets, subjects=25, ratings=5, rounded=True, seed=11)
    obs += [
        Observation("s0", "rare", "system-design", "scale", 4.0, T)
    ]  # a second type, a one-off rater
    cal = calibrate(obs)
    expected = _calibrate_by_definition(obs)
    assert set(cal.offsets) == set(expected)
    for rater, value in expected.items():
        assert abs(cal.offset(rater) - value) < 1e-9, rater
    assert cal.counts == {r: sum(1 for o in obs if o.rater_id == r) for r in expected}


def test_a_trend_needs_enough_sessions_over_enough_time() -> None:
    steep = [(T + timedelta(days=3 * d), 1.0 + d) for d in range(3)]  # three points in a week
    assert slope_per_day(steep) > 0 and trend_per_30_days(steep) is None
    bunched = [(T + timedelta(days=d), 1.0 + d) for d in range(TREND_MIN_SESSIONS)]
    assert trend_per_30_days(bunched) is None  # enough sessions, too short a span
    spread = [
        (T + TREND_MIN_SPAN * d / (TREND_MIN_SESSIONS - 1), 2.0 + 0.1 * d)
        for d in range(TREND_MIN_SESSIONS)
    ]
    assert trend_per_30_days(spread) == 30 * slope_per_day(spread)
    assert trend_per_30_days(spread[1:]) is None


def test_no_trend_from_three_sessions_in_a_week() -> None:
    rows = []
    for i, day in enumerate((0, 3, 6)):
        rows.append(
            _fb(f"s{i}", "iv", "me", FeedbackRole.INTERVIEWER, {"comm": 1 + i, "algo": 3}, day)
        )
        rows.append(_fb(f"s{i}", "me", "iv", FeedbackRole.CANDIDATE, {"comm": 1, "algo": 2}, day))
    report = member_progress("me", rows, calibrate([]))
    assert [d.trend_per_30_days for d in report.dimensions] == [None, None]
    assert report.self_gap_trend_per_30_days is None


def test_the_self_assessment_sentence_reads_right() -> None:
    def said(
        self_scores: dict[str, int], theirs: dict[str, int], days: tuple[int, ...] = (0,)
    ) -> str:
        rows = []
        for i, day in enumerate(days):
            rows.append(_fb(f"s{i}", "iv", "me", FeedbackRole.INTERVIEWER, theirs, day))
            rows.append(_fb(f"s{i}", "me", "iv", FeedbackRole.CANDIDATE, self_scores, day))
        return self_assessment(member_progress("me", rows, calibrate([])))

    assert (
        said({"comm": 1, "algo": 2}, {"comm": 3, "algo": 2})
        == "Your last self-scores were 1.0 lower than your interviewer's."
    )
    assert (
        said({"comm": 4, "algo": 4}, {"comm": 3, "algo": 3})
        == "Your last self-scores were 1.0 higher than your interviewer's."
    )
    assert (
        said({"comm": 3, "algo": 3}, {"comm": 3, "algo": 3})
        == "Your last self-scores matched your interviewer's."
    )
    assert said({"comm": 4, "algo": 4}, {"comm": 3, "algo": 3}, (0, 8, 16, 24)) == (
        "Your last self-scores were 1.0 higher than your interviewer's. The gap's trend: +0.00/month."
    )
