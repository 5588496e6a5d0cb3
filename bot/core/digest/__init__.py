"""Weekly digests, pure: when each one is due, and what it says.

A personal digest is due at the community's weekday and hour in the member's own zone
(:func:`local_due`, DST-correct through :mod:`zoneinfo`). Its week is the seven days before
that moment. The community digest covers the seven days before the same weekday and hour in
UTC. Everything here works on plain rows (:class:`DigestMember`, :class:`DigestSession`,
:class:`DigestFeedback`, :class:`DigestRequest`) fetched in a fixed number of queries per
community, so building 10,000 digests costs no more queries than building ten.

One module per part: :mod:`.timing` (when digests are due), :mod:`.rows` (what they are built
from), :mod:`.personal` and :mod:`.community` (what they say), :mod:`.messages` (how they read).
This package re-exports their public names.
"""

from bot.core.digest.community import (
    FUNNEL_WEEKS,
    TOP_INTERVIEWERS,
    CommunityDigest,
    TopInterviewer,
    TypeShortage,
    community_digest,
    funnel_weeks,
    funnel_window,
)
from bot.core.digest.messages import (
    ALT_TEXT_LIMIT,
    DimensionName,
    FocusHint,
    changes_alt,
    community_message,
    funnel_alt,
    personal_message,
    type_label,
)
from bot.core.digest.personal import (
    LOOKBACK,
    MONTH,
    RECENT,
    STREAK_WEEKS,
    Focus,
    PersonalDigest,
    ScoreChange,
    month_changes,
    personal_digest,
    streak,
)
from bot.core.digest.rows import (
    DigestData,
    DigestFeedback,
    DigestMember,
    DigestRequest,
    DigestSession,
)
from bot.core.digest.timing import (
    FEEDBACK_WINDOW,
    WEEK,
    IsoWeek,
    due_slots,
    local_due,
    weeks_around,
    zone,
)

__all__ = [
    "ALT_TEXT_LIMIT",
    "FEEDBACK_WINDOW",
    "FUNNEL_WEEKS",
    "LOOKBACK",
    "MONTH",
    "RECENT",
    "STREAK_WEEKS",
    "TOP_INTERVIEWERS",
    "WEEK",
    "CommunityDigest",
    "DigestData",
    "DigestFeedback",
    "DigestMember",
    "DigestRequest",
    "DigestSession",
    "DimensionName",
    "Focus",
    "FocusHint",
    "IsoWeek",
    "PersonalDigest",
    "ScoreChange",
    "TopInterviewer",
    "TypeShortage",
    "changes_alt",
    "community_digest",
    "community_message",
    "due_slots",
    "funnel_alt",
    "funnel_weeks",
    "funnel_window",
    "local_due",
    "month_changes",
    "personal_digest",
    "personal_message",
    "streak",
    "type_label",
    "weeks_around",
    "zone",
]
