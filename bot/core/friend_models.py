"""A member's invitation to practise with a chosen friend (``/mock schedule partner:@member``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.vocab import InterviewType, RolePreference


class FriendStatus(StrEnum):
    """Where an invitation is: pending until the invited member answers, it is withdrawn or it
    lapses; an accepted one is booked, or could not be arranged."""

    PENDING = "pending"
    BOOKED = "booked"
    UNARRANGED = "unarranged"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class FriendRequest:
    """One invitation: who asked whom, for which type and role, within how many days of the answer."""

    id: str
    community_id: str
    requester_id: str
    invitee_id: str
    interview_type: InterviewType
    #: The requester's role; the invited member takes the other side (swap: both).
    role: RolePreference
    days: int
    created_at: datetime
    expires_at: datetime
    status: FriendStatus = FriendStatus.PENDING
    decided_at: datetime | None = None
    session_id: str | None = None
