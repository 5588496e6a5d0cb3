"""Feedback as the core sees it: one form, written by one member about one part of a session."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class FeedbackRole(StrEnum):
    """The author's role in the part the feedback is about."""

    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"


#: How the candidate rates the interviewer (each 1 to 4).
INTERVIEWER_RATINGS: dict[str, str] = {
    "preparation": "Preparation",
    "usefulness": "Usefulness of the feedback",
    "again": "Would practise again",
}


@dataclass(frozen=True)
class Feedback:
    """One member's feedback on one part of a session: the interviewer's scores and notes about the
    candidate, or the candidate's ratings of the interviewer."""

    id: str
    session_id: str
    part: int
    author_id: str
    #: The interviewer writes about the candidate; the candidate about the interviewer.
    subject_id: str
    role: FeedbackRole
    #: Interviewer: scores of the candidate; candidate: private self-scores. ``{dimension_id: 1..4}``.
    scores: dict[str, int]
    submitted_at: datetime
    updated_at: datetime
    verdict: str | None = None
    help_needed: str | None = None
    strengths: str = ""
    improvements: str = ""
    #: Seen by community admins only, never by the subject.
    admin_note: str | None = None
    interviewer_ratings: dict[str, int] = field(default_factory=dict)
    prompt_quality: int | None = None
    revealed_at: datetime | None = None
    #: Filled in by repositories from the session (read-only context for progress).
    interview_type: str | None = None
    community_id: str | None = None

    def with_changes(self, **changes: object) -> Feedback:
        """A copy with the given fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def same_content(self, other: Feedback) -> bool:
        """Whether ``other`` says the same (scores, verdict and texts), whatever its times."""
        return (
            self.scores == other.scores
            and self.verdict == other.verdict
            and self.help_needed == other.help_needed
            and self.strengths == other.strengths
            and self.improvements == other.improvements
            and self.admin_note == other.admin_note
            and self.interviewer_ratings == other.interviewer_ratings
            and self.prompt_quality == other.prompt_quality
        )
