"""Reports of a problem with a session's partner, and suspensions from matching.

A member of a session may report their partner once per session (the reasons below, and a
short text). The report goes to the admins only; the reported member is never told, and the
reporter is blocked from the reported member (the same confidential block as ``/mock block``).
Admins may suspend a member from matching for a number of days: their open requests are
left out of every round and ``/mock schedule`` and ``/mock now`` are refused until it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.actions import encode
from bot.core.messages import Button, ButtonStyle

#: The "Report a problem" button's verb (its one argument: the session id) and its form's verb.
REPORT_OPEN = "report.open"
REPORT_SUBMIT = "report.submit"
#: The admins' "Resolve" button (its one argument: the report id).
REPORT_RESOLVE = "admin.report.resolve"
#: The most a report's text may hold, and the most days a suspension may last.
MAX_REPORT_TEXT = 1000
MAX_SUSPEND_DAYS = 365
MAX_SUSPEND_REASON = 300


class ReportReason(StrEnum):
    """Why a member reports their partner."""

    NO_SHOW_DISPUTE = "no-show-dispute"
    RUDE = "rude"
    INAPPROPRIATE = "inappropriate"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The reason as members and admins read it."""
        return _REASON_LABELS[self]


_REASON_LABELS = {
    ReportReason.NO_SHOW_DISPUTE: "No-show dispute",
    ReportReason.RUDE: "Rude",
    ReportReason.INAPPROPRIATE: "Inappropriate",
    ReportReason.OTHER: "Other",
}


class ReportStatus(StrEnum):
    """Whether an admin has dealt with the report."""

    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Report:
    """One member's report about their partner in one session."""

    id: str
    community_id: str
    session_id: str
    reporter_id: str
    reported_id: str
    reason: ReportReason
    text: str
    created_at: datetime
    status: ReportStatus = ReportStatus.OPEN
    resolved_by: str | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Suspension:
    """A member kept out of matching from ``starts_at`` until ``ends_at`` (or until lifted)."""

    id: str
    community_id: str
    member_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    lifted_at: datetime | None = None
    lifted_by: str | None = None

    def active(self, now: datetime) -> bool:
        """Whether it keeps the member out of matching at ``now``."""
        return self.lifted_at is None and self.starts_at <= now < self.ends_at


def report_button(session_id: str) -> Button:
    """The "Report a problem" button of a session (every member-facing message about a past
    session carries it; only the session's two members may use it)."""
    return Button("Report a problem", encode(REPORT_OPEN, session_id), ButtonStyle.SECONDARY)
