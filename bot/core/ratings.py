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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


__all__ = ["InterviewerRating", "RatingTotals", "community_mean", "match_value", "smoothed"]
