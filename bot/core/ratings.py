"""How candidates rate their interviewers, smoothed toward the community's mean.

Candidates rate the interviewer of each part (preparation, usefulness of the feedback,
would practise again; each 1 to 4; :data:`bot.core.feedback_models.INTERVIEWER_RATINGS`).
A member with two ratings is not known to be better than one with forty, so each
member's average is shrunk toward the community's mean with a prior weight of
``PRIOR_RATINGS`` ratings (additive smoothing, the empirical-Bayes mean for a normal
prior of that weight)::

    smoothed = (k * community_mean + n * member_mean) / (k + n)

A member nobody has rated gets the community's mean. Matching reads the smoothed value
as ``0..1`` (:func:`match_value`); ``/mock progress`` shows it to the member with ``n``.
Only ratings already revealed to the interviewer count.

Matching also pairs well-rated interviewers with the candidates who need one most
(:func:`candidate_need`: few sessions as a candidate so far, weak recent verdicts), and a
community scales both rating terms with its ``reputation_weight`` setting (percent,
:func:`reputation_weights`). The weekly community digest ranks interviewers by the same
smoothed rating, among those with at least :data:`DIGEST_MIN_RATINGS` ratings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.matching import Weights

#: The prior's weight, in ratings: a member's own average outweighs the community's
#: from their fourth rating on.
PRIOR_RATINGS = 3.0
#: The scale's middle: the community's mean before anyone was rated.
NEUTRAL = 2.5
LOW, HIGH = 1, 4


@dataclass(frozen=True)
class RatingTotals:
    """One interviewer's revealed ratings, summed in the database: ``ratings`` forms with
    at least one item, ``items`` item scores adding up to ``total``."""

    ratings: int
    items: int
    total: float


@dataclass(frozen=True)
class InterviewerRating:
    """A member's smoothed rating as an interviewer (1..4), from ``ratings`` ratings."""

    smoothed: float
    ratings: int
    #: The member's own average (None without ratings).
    raw: float | None


def community_mean(totals: Mapping[str, RatingTotals]) -> float:
    """The mean of every rating in ``totals`` (the neutral value when there is none)."""
    items = sum(t.items for t in totals.values())
    return sum(t.total for t in totals.values()) / items if items else NEUTRAL


def smoothed(
    member_id: str,
    totals: Mapping[str, RatingTotals],
    *,
    mean: float | None = None,
    prior: float = PRIOR_RATINGS,
) -> InterviewerRating:
    """``member_id``'s rating shrunk toward ``mean`` (the community's, from ``totals``,
    when not given) with a prior weight of ``prior`` ratings."""
    centre = community_mean(totals) if mean is None else mean
    mine = totals.get(member_id)
    if mine is None or mine.items == 0 or mine.ratings == 0:
        return InterviewerRating(centre, 0, None)
    own = mine.total / mine.items
    value = (prior * centre + mine.ratings * own) / (prior + mine.ratings)
    return InterviewerRating(value, mine.ratings, own)


def match_value(rating: InterviewerRating) -> float:
    """The rating on the matcher's ``0..1`` scale (1 -> 0, 4 -> 1)."""
    return min(1.0, max(0.0, (rating.smoothed - LOW) / (HIGH - LOW)))


#: A candidate with fewer sessions than this is still finding their feet (the need falls
#: linearly to 0 at this many sessions as a candidate).
NEW_CANDIDATE_SESSIONS = 6
#: How far back a candidate's verdicts count towards their need.
RECENT_VERDICTS = timedelta(days=60)
#: The community digest ranks only interviewers with at least this many ratings.
DIGEST_MIN_RATINGS = 3
#: ``reputation_weight``: percent of the matcher's default rating weights (0 turns them off).
REPUTATION_WEIGHT_RANGE = (0, 300)
DEFAULT_REPUTATION_WEIGHT = 100


#: The verdicts that count as a no (a candidate who got them needs a good interviewer more).
WEAK_VERDICTS = ("strong-no", "lean-no")


@dataclass(frozen=True)
class VerdictCounts:
    """A candidate's recent verdicts from their interviewers: how many, and how many were a no."""

    verdicts: int
    weak: int


def candidate_need(taken: int, recent: VerdictCounts | None = None) -> float:
    """How much a candidate needs a good interviewer, ``0..1``: half from being new (fewer
    than :data:`NEW_CANDIDATE_SESSIONS` sessions as a candidate), half from the share of
    "no" verdicts among their recent ones (none: nothing)."""
    new = max(0.0, 1.0 - max(taken, 0) / NEW_CANDIDATE_SESSIONS)
    weak = recent.weak / recent.verdicts if recent is not None and recent.verdicts else 0.0
    return round(min(1.0, 0.5 * new + 0.5 * weak), 2)


def reputation_weights(percent: int, base: Weights | None = None) -> Weights:
    """The matcher's weights with both rating terms (the interviewer's rating, and mentoring:
    rating times the candidate's need) scaled to ``percent`` of their defaults."""
    weights = base or Weights()
    share = max(REPUTATION_WEIGHT_RANGE[0], min(REPUTATION_WEIGHT_RANGE[1], percent))
    return replace(
        weights,
        interviewer_rating=weights.interviewer_rating * share // 100,
        mentoring=weights.mentoring * share // 100,
    )


__all__ = [
    "DIGEST_MIN_RATINGS",
    "WEAK_VERDICTS",
    "InterviewerRating",
    "RatingTotals",
    "VerdictCounts",
    "candidate_need",
    "community_mean",
    "match_value",
    "reputation_weights",
    "smoothed",
]
