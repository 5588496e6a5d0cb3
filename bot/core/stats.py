"""Community figures for admins (``/mockadmin stats``): plain data the storage layer fills
with a fixed number of aggregate queries, whatever the size of the community."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PeriodStats:
    """What happened in the last ``days`` days.

    Sessions count by their start (held, cancelled, no-show) or their booking time (booked);
    requests by the time they were made; feedback over the sessions held in the period.
    """

    days: int
    sessions_booked: int = 0
    sessions_held: int = 0
    sessions_cancelled: int = 0
    sessions_no_show: int = 0
    requests_made: int = 0
    requests_matched: int = 0
    requests_expired: int = 0
    #: Held sessions with feedback from both members.
    feedback_both: int = 0
    #: Held sessions with feedback from at least one member.
    feedback_any: int = 0

    @property
    def match_rate(self) -> float | None:
        """Matched among requests that came to an end by matching or expiring (withdrawn
        requests are left out); None when there were none."""
        ended = self.requests_matched + self.requests_expired
        return self.requests_matched / ended if ended else None

    @property
    def feedback_completion(self) -> float | None:
        """Share of held sessions where both members gave feedback; None when none were held."""
        return self.feedback_both / self.sessions_held if self.sessions_held else None


@dataclass(frozen=True)
class CommunityStats:
    """A community's figures for ``/mockadmin stats``: members, profiles, open requests per type,
    and the figures of each period."""

    members: int
    members_with_profile: int
    #: Open requests per interview type value (only types with at least one).
    open_requests: dict[str, int] = field(default_factory=dict)
    periods: tuple[PeriodStats, ...] = ()
