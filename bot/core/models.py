"""Domain models: plain, immutable, platform-neutral.

Repositories return these; services take and return these. Times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from bot.core.availability import WeeklyAvailability
from bot.core.vocab import InterviewType, Level, RolePreference


class Platform(StrEnum):
    """The chat platform a community and its members live on."""

    CONSOLE = "console"
    DISCORD = "discord"
    SLACK = "slack"


@dataclass(frozen=True)
class CommunitySettings:
    """What a community's admins can tune. Stored as one JSON document."""

    session_minutes: int = 60
    match_every_minutes: int = 15
    #: Weekday (0 = Monday) and local hour at which weekly digests go out.
    digest_weekday: int = 0
    digest_hour: int = 9
    #: Minutes before the start at which reminders are sent.
    reminder_minutes: tuple[int, ...] = (24 * 60, 60, 10)
    #: Where pair spaces are opened (a Discord channel for private threads); None: platform default.
    pair_channel_id: str | None = None
    admin_channel_id: str | None = None
    paused: bool = False
    extra_tracks: dict[str, str] = field(default_factory=dict)
    disabled_types: tuple[str, ...] = ()
    #: Pramp style: prefer a prompt the interviewer already solved as a candidate (the candidate never saw it).
    prefer_prompt_interviewer_has_seen: bool = True
    admins_see_feedback: bool = False
    #: Admins' member view shows how many members a member blocked and is blocked by (never
    #: who); off by default: blocks are the member's own.
    admins_see_blocks: bool = False
    #: The call of every session (``{room}``: a fresh name per session); None: a Jitsi Meet room each.
    call_link: str | None = None
    #: The shared editor of coding types (``{room}`` allowed); None: "use any shared editor".
    coding_editor: str | None = None
    #: The whiteboard of design types (``{room}`` allowed); None: an Excalidraw room each.
    design_board: str | None = None
    #: How much interviewers' reputation counts in matching, in percent of the default (0: not at all).
    reputation_weight: int = 100
    #: The Discord category where each session gets a private voice channel; None: no voice.
    voice_category_id: str | None = None
    #: Minutes before the start the voice channel opens, and after the end it is removed.
    voice_open_minutes: int = 10
    voice_close_minutes: int = 30
    #: A scheduled event per session (Discord only); off by default.
    session_events: bool = False
    #: The admin who chose the voice category (told when the bot may not create channels and
    #: there is no admins' channel).
    voice_set_by: str | None = None
    #: The permissions the admins were told the bot lacks for voice channels or events, and
    #: ``"pair spaces"`` once told it lost access to them (each said once; choosing the voice
    #: category, events or the pair channel again forgets them).
    room_notices: tuple[str, ...] = ()
    #: PeerLoop was removed from the server or workspace (Discord GUILD_DELETE, Slack
    #: ``app_uninstalled`` or its bot token revoked): no pairing and nothing sent there until it
    #: is back (invited again, or anyone there uses it again).
    absent: bool = False

    def to_json(self) -> dict[str, object]:
        """The stored form: one JSON object with every setting."""
        return {
            "session_minutes": self.session_minutes,
            "match_every_minutes": self.match_every_minutes,
            "digest_weekday": self.digest_weekday,
            "digest_hour": self.digest_hour,
            "reminder_minutes": list(self.reminder_minutes),
            "pair_channel_id": self.pair_channel_id,
            "admin_channel_id": self.admin_channel_id,
            "paused": self.paused,
            "extra_tracks": dict(self.extra_tracks),
            "disabled_types": list(self.disabled_types),
            "prefer_prompt_interviewer_has_seen": self.prefer_prompt_interviewer_has_seen,
            "admins_see_feedback": self.admins_see_feedback,
            "admins_see_blocks": self.admins_see_blocks,
            "call_link": self.call_link,
            "coding_editor": self.coding_editor,
            "design_board": self.design_board,
            "reputation_weight": self.reputation_weight,
            "voice_category_id": self.voice_category_id,
            "voice_open_minutes": self.voice_open_minutes,
            "voice_close_minutes": self.voice_close_minutes,
            "session_events": self.session_events,
            "voice_set_by": self.voice_set_by,
            "room_notices": list(self.room_notices),
            "absent": self.absent,
        }

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> Self:
        """Read the stored form; unknown keys are ignored and missing ones take their defaults."""
        if not data:
            return cls()
        known = {f for f in cls.__dataclass_fields__}
        clean: dict[str, object] = {k: v for k, v in data.items() if k in known}
        for key in ("reminder_minutes", "disabled_types", "room_notices"):
            if key in clean and isinstance(clean[key], list):
                clean[key] = tuple(clean[key])  # type: ignore[arg-type]
        return cls(**clean)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Community:
    """One server (Discord), workspace (Slack) or console community, with its admins' settings."""

    id: str
    platform: Platform
    external_id: str
    name: str
    settings: CommunitySettings = field(default_factory=CommunitySettings)


#: How the external id of a forgotten member's placeholder begins (``/mock forget-me``; no
#: platform id looks like it): statistics do not count placeholders as members.
PLACEHOLDER_PREFIX = "former:"


@dataclass(frozen=True)
class Member:
    """A person in one community: their platform identity and their interview profile (time zone,
    track, level, interview types, languages, weekly availability, blackout dates)."""

    id: str
    community_id: str
    platform: Platform
    #: The member's id on their platform (Discord user id, Slack user id, console name).
    external_id: str
    display_name: str
    timezone: str | None = None
    track: str | None = None
    level: Level | None = None
    interview_types: tuple[InterviewType, ...] = ()
    languages: tuple[str, ...] = ()
    availability: WeeklyAvailability | None = None
    blackouts: tuple[date, ...] = ()
    #: Members this member never wants to be paired with (confidential).
    blocked: tuple[str, ...] = ()
    digest_opt_out: bool = False
    #: Send a short nudge when a week had nothing to report (else nothing).
    digest_nudge: bool = True
    is_admin: bool = False
    created_at: datetime | None = None

    def with_changes(self, **changes: object) -> Member:
        """A copy with the given fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def profile_complete(self) -> bool:
        """Whether the profile has what matching needs: time zone, track, level and types."""
        return bool(self.timezone and self.track and self.level and self.interview_types)

    def missing_profile_fields(self) -> list[str]:
        """The names of the profile fields still missing, as members read them."""
        missing = []
        if not self.timezone:
            missing.append("time zone")
        if not self.track:
            missing.append("track")
        if not self.level:
            missing.append("level")
        if not self.interview_types:
            missing.append("interview types")
        return missing


class RequestStatus(StrEnum):
    """Where a request is in its life: open until matched, cancelled or expired."""

    OPEN = "open"
    MATCHED = "matched"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class InterviewRequest:
    """A member's request for a mock interview of one type, in a window of time, with their role
    preference."""

    id: str
    community_id: str
    member_id: str
    interview_type: InterviewType
    role: RolePreference
    window_start: datetime
    window_end: datetime
    created_at: datetime
    status: RequestStatus = RequestStatus.OPEN
    #: ``True`` for ``/mock now``: ready within the next minutes, live queue.
    live: bool = False
    #: Rounds this request was considered and left out (carries priority).
    times_left_out: int = 0
    last_left_out_reason: str | None = None
    #: A rematch after a partner's no-show or cancellation gets priority.
    priority: bool = False
    session_id: str | None = None
    #: The mock loop this request is a round of (``bot.core.loop_models.Loop``), if any.
    loop_id: str | None = None


class SessionState(StrEnum):
    """Where a session is in its life: proposed, confirmed, in progress, then completed, cancelled
    or a no-show."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def is_final(self) -> bool:
        """Whether the session has ended for good (completed, cancelled or a no-show)."""
        return self in (SessionState.COMPLETED, SessionState.CANCELLED, SessionState.NO_SHOW)


@dataclass(frozen=True)
class Session:
    """A booked mock interview between two members: its type, start, length, roles, prompts and
    state."""

    id: str
    community_id: str
    interview_type: InterviewType
    #: Member who interviews first (the only interviewer in a one-way session).
    interviewer_id: str
    #: Member who is the candidate first.
    candidate_id: str
    swap: bool
    start: datetime
    minutes: int
    state: SessionState
    request_ids: tuple[str, ...] = ()
    #: Prompt for part one (candidate_id is the candidate) and part two (after the swap).
    prompt_ids: tuple[str, ...] = ()
    prompt_reasons: tuple[str, ...] = ()
    space_ref: str | None = None
    sequence: int = 0
    confirmed_by: tuple[str, ...] = ()
    match_reasons: tuple[str, ...] = ()
    created_at: datetime | None = None
    #: The session's own call and work-surface links (bot.core.room), shown only to the pair.
    call_url: str | None = None
    work_url: str | None = None
    #: Members who pressed "My partner is here" before the start (both: "Start now" is offered).
    here_by: tuple[str, ...] = ()
    #: Members who pressed "We're done" during the session (both: it ends at once).
    done_by: tuple[str, ...] = ()
    #: The session's private voice channel while it is open (platform reference and link).
    voice_ref: str | None = None
    voice_url: str | None = None
    #: The session's scheduled event on the platform, when the community asks for one.
    event_ref: str | None = None

    @property
    def member_ids(self) -> tuple[str, str]:
        """The two members: the first interviewer, then the first candidate."""
        return (self.interviewer_id, self.candidate_id)

    def partner_of(self, member_id: str) -> str:
        """The other member of the session; ``ValueError`` for someone not in it."""
        if member_id == self.interviewer_id:
            return self.candidate_id
        if member_id == self.candidate_id:
            return self.interviewer_id
        raise ValueError("not a member of this session")


class ActionStatus(StrEnum):
    """Where a scheduled step is: pending until done, skipped or failed."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class ActionKind(StrEnum):
    """Scheduled steps. Each is a row before it is a timer, and runs at most once."""

    MATCH_ROUND = "match_round"
    REMINDER = "reminder"
    START = "start"
    SWAP = "swap"
    END = "end"
    NOSHOW_CHECK = "noshow_check"
    FEEDBACK_REMINDER = "feedback_reminder"
    FEEDBACK_CLOSE = "feedback_close"
    EXPIRE_REQUEST = "expire_request"
    DIGEST = "digest"
    #: Daily housekeeping: deletes the community's rows past the retention period.
    RETENTION = "retention"
    #: An invitation to practise with a chosen member lapses unanswered.
    FRIEND_LAPSE = "friend_lapse"
    #: A mock loop's end: its debrief with whatever feedback came in.
    LOOP_DEBRIEF = "loop_debrief"
    #: A member's suspension from matching ends: they are told they can be matched again.
    SUSPENSION_END = "suspension_end"
    #: A session's private voice channel opens (Discord) shortly before the start.
    VOICE_OPEN = "voice_open"
    #: A session's voice channel is removed (a while after the end, or when it is called off).
    VOICE_CLOSE = "voice_close"
    #: A session's scheduled event is created or moved (``payload["cancel"]``: cancelled).
    SESSION_EVENT = "session_event"
    #: A forgotten member's session room goes: its voice channels are removed and its event
    #: cancelled. Not tied to the session row (which forget-me deletes): the payload holds only
    #: the platform's references and the channel names.
    ROOM_REMOVE = "room_remove"

    @property
    def skippable(self) -> bool:
        """A reminder that is too late to be useful is skipped; other steps never are."""
        return self in (ActionKind.REMINDER, ActionKind.FEEDBACK_REMINDER, ActionKind.NOSHOW_CHECK)


@dataclass(frozen=True)
class ScheduledAction:
    """One stored step of the scheduler (a reminder, a session's start, a matching round...): a row
    first, a timer second."""

    id: str
    #: Unique, deterministic key (e.g. ``session:<id>:start``): inserting twice is a no-op.
    key: str
    kind: ActionKind
    community_id: str
    due_at: datetime
    session_id: str | None = None
    payload: dict[str, object] = field(default_factory=dict)
    status: ActionStatus = ActionStatus.PENDING
    attempts: int = 0
    last_error: str | None = None


class OutboxStatus(StrEnum):
    """Where an outbox message is: pending until sent or failed."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting to be delivered. ``key`` makes every message unique: never sent twice."""

    id: str
    key: str
    community_id: str
    message: dict[str, object]
    created_at: datetime
    next_attempt_at: datetime
    #: A direct message to this member, or (when ``member_id`` is None) a post in ``space_ref``.
    member_id: str | None = None
    space_ref: str | None = None
    #: Private material (the interviewer guide): never falls back to the shared pair space.
    private: bool = False
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_ref: str | None = None
    fallback_used: bool = False


@dataclass(frozen=True)
class RoundRecord:
    """What one matching round considered, paired and left out (for admins asking why)."""

    id: str
    community_id: str
    ran_at: datetime
    considered: tuple[str, ...]
    paired: tuple[tuple[str, str, str], ...]
    left_out: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class PairingHistory:
    """What a matching round needs from its members' completed sessions, aggregated.

    ``last_met``: pairs of this round's members (``frozenset`` of the two ids) and when
    they last completed a session together. ``given`` / ``taken``: per member, the parts
    they interviewed in and were the candidate in (a swap session counts once for each).
    """

    last_met: dict[frozenset[str], datetime]
    given: dict[str, int]
    taken: dict[str, int]


@dataclass(frozen=True)
class PromptHistory:
    """Which prompts a round's members have seen, per role: member id -> prompt id -> when
    they last had it as the candidate (``as_candidate``) or ran it, guide and solution in
    hand, as the interviewer (``as_interviewer``). Sessions in any state count."""

    as_candidate: dict[str, dict[str, datetime]]
    as_interviewer: dict[str, dict[str, datetime]]


@dataclass(frozen=True)
class NoShowReport:
    """One member's report that the other member of a session did not show up."""

    session_id: str
    reporter_id: str
    absent_id: str
    reported_at: datetime
    cleared: bool = False
