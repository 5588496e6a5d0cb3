"""Sample data for the pictures: a member's year of scored sessions, a month of score changes and a
community's weekly funnel. The demo draws them next to its own digests; the chart benchmark
(``peerloop bench charts``) and the chart tests draw them too."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.core.digest import CommunityDigest, IsoWeek, ScoreChange, TypeShortage
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.progress import MemberProgress, calibrate, member_progress, observations

#: Monday 7 December 2026, 09:00 UTC.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DIMENSIONS = {
    "coding": (
        "understanding",
        "approach",
        "correctness",
        "code-quality",
        "testing",
        "communication",
    ),
    "system-design": (
        "requirements",
        "high-level-design",
        "deep-dive",
        "scalability",
        "trade-offs",
        "communication",
    ),
}


def sample_feedback(
    sessions: int, *, kinds: Sequence[str] = ("coding",), seed: int = 7, member_id: str = "me"
) -> list[Feedback]:
    """``sessions`` interviewer forms about ``member_id`` spread over the year to :data:`NOW`,
    each dimension improving at its own pace, rated by five interviewers of different strictness."""
    rng = random.Random(seed)
    strictness = {f"rater{i}": off for i, off in enumerate((-0.4, -0.1, 0.0, 0.2, 0.4))}
    span = timedelta(days=365) if sessions > 12 else timedelta(days=7 * sessions)
    start = NOW - span
    rows = []
    for n in range(sessions):
        kind = kinds[n % len(kinds)]
        when = start + span * (n + 1) / (sessions + 1)
        rater = rng.choice(sorted(strictness))
        progress = (n + 1) / max(1, sessions)
        scores = {}
        for k, dim in enumerate(DIMENSIONS[kind]):
            base = 1.6 + 0.15 * k + (1.4 - 0.25 * k) * progress
            scores[dim] = max(1, min(4, round(base - strictness[rater] + rng.gauss(0, 0.45))))
        rows.append(
            Feedback(
                id=f"f{n}",
                session_id=f"s{n}",
                part=1,
                author_id=rater,
                subject_id=member_id,
                role=FeedbackRole.INTERVIEWER,
                scores=scores,
                submitted_at=when,
                updated_at=when,
                revealed_at=when + timedelta(hours=72),
                interview_type=kind,
            )
        )
    return rows


def sample_progress(
    sessions: int, *, kinds: Sequence[str] = ("coding",), seed: int = 7
) -> MemberProgress:
    """The calibrated progress report of a member with ``sessions`` sessions (:func:`sample_feedback`)."""
    rows = sample_feedback(sessions, kinds=kinds, seed=seed)
    return member_progress("me", rows, calibrate(observations(rows)))


def sample_names() -> dict[tuple[str, str], str]:
    """The bundled rubrics' display name of each sample dimension."""
    from bot.prompts import load_bundled

    bank = load_bundled()
    return {
        (kind, d.id): d.name for kind in DIMENSIONS for d in bank.rubric_for_type(kind).dimensions
    }


def sample_changes() -> list[ScoreChange]:
    """A month of score changes, as the digest's picture shows them."""
    return [
        ScoreChange("coding", "understanding", 2.7, 3.3),
        ScoreChange("coding", "approach", 2.3, 2.7),
        ScoreChange("coding", "correctness", 3.0, 3.0),
        ScoreChange("coding", "code-quality", 2.7, 2.0),
        ScoreChange("coding", "testing", None, 2.0),
        ScoreChange("system-design", "trade-offs", 2.0, 2.7),
    ]


def sample_funnel(weeks: int = 8) -> list[CommunityDigest]:
    """``weeks`` weeks of a community's funnel (requested, matched, held), the last with shortages."""
    rng = random.Random(3)
    out = []
    for k in range(weeks):
        due = NOW - timedelta(weeks=weeks - 1 - k)
        requested = rng.randint(18, 34) + 2 * k
        matched = int(requested * rng.uniform(0.6, 0.85))
        held = int(matched / 2 * rng.uniform(0.8, 0.95))
        shortages = (
            (
                TypeShortage("system-design", 9, 4),
                TypeShortage("ml-system-design", 4, 1),
                TypeShortage("behavioral", 6, 5),
            )
            if k == weeks - 1
            else ()
        )
        out.append(
            CommunityDigest(
                IsoWeek.of(due.date()),
                due,
                requested,
                matched,
                requested - matched,
                held,
                rng.randint(0, 2),
                4 * held,
                int(4 * held * rng.uniform(0.6, 0.9)),
                (),
                shortages,
            )
        )
    return out
