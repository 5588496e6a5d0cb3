"""Tables (SQLModel). Repositories map these to core models; nothing outside storage sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        sa_column=Column(
            String(32), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
        )
    )


def _when(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


def _json(default: Any) -> Any:
    return Field(
        default_factory=lambda: default() if callable(default) else default,
        sa_column=Column(JSON, nullable=False),
    )


class CommunityRow(SQLModel, table=True):
    __tablename__ = "communities"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_community_platform_external"),
    )

    id: str = Field(primary_key=True, max_length=32)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    settings: dict[str, Any] = _json(dict)


class MemberRow(SQLModel, table=True):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("community_id", "external_id", name="uq_member_community_external"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id")
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    display_name: str = Field(max_length=80)
    timezone: str | None = Field(default=None, max_length=64)
    track: str | None = Field(default=None, max_length=64)
    level: str | None = Field(default=None, max_length=16)
    interview_types: list[str] = _json(list)
    languages: list[str] = _json(list)
    availability: list[list[int]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    blackouts: list[str] = _json(list)
    blocked: list[str] = _json(list)
    digest_opt_out: bool = False
    digest_nudge: bool = True
    is_admin: bool = False
    created_at: datetime | None = _when(nullable=True)


class RequestRow(SQLModel, table=True):
    __tablename__ = "interview_requests"
    __table_args__ = (
        # One open request per member and interview type, enforced by the database too.
        Index(
            "uq_open_request_member_type",
            "member_id",
            "interview_type",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_requests_community_status", "community_id", "status"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id", index=False)
    member_id: str = _fk("members.id")
    interview_type: str = Field(max_length=32)
    role: str = Field(max_length=16)
    window_start: datetime = _when()
    window_end: datetime = _when()
    created_at: datetime = _when()
    status: str = Field(default="open", max_length=16)
    live: bool = False
    times_left_out: int = 0
    last_left_out_reason: str | None = Field(default=None, max_length=300)
    priority: bool = False
    session_id: str | None = Field(default=None, max_length=32)
    #: The mock loop this request is a round of (``loops.id``), if any.
    loop_id: str | None = Field(default=None, max_length=32, index=True)


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_community_state", "community_id", "state"),
        Index("ix_sessions_start", "start"),
    )

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id", index=False)
    interview_type: str = Field(max_length=32)
    interviewer_id: str = _fk("members.id")
    candidate_id: str = _fk("members.id")
    swap: bool = True
    start: datetime = _when()
    minutes: int = 60
    state: str = Field(default="proposed", max_length=16)
    request_ids: list[str] = _json(list)
    prompt_ids: list[str] = _json(list)
    prompt_reasons: list[str] = _json(list)
    space_ref: str | None = Field(default=None, max_length=128)
    #: The pair space: None (not asked for yet), 'opening' (claimed by ``space_claim`` at
    #: ``space_claimed_at``, before the platform was asked), 'open' (``space_ref`` is it), or
    #: 'direct' (given up after a failed or interrupted opening: messages go by DM).
    space_state: str | None = Field(default=None, max_length=16)
    space_claim: str | None = Field(default=None, max_length=32)
    space_claimed_at: datetime | None = _when(nullable=True)
    sequence: int = 0
    confirmed_by: list[str] = _json(list)
    match_reasons: list[str] = _json(list)
    created_at: datetime | None = _when(nullable=True)
    call_url: str | None = Field(default=None, max_length=400)
    work_url: str | None = Field(default=None, max_length=400)
    here_by: list[str] = _json(list)
    done_by: list[str] = _json(list)
    voice_ref: str | None = Field(default=None, max_length=64)
    voice_url: str | None = Field(default=None, max_length=200)
    event_ref: str | None = Field(default=None, max_length=64)


class ScheduledActionRow(SQLModel, table=True):
    __tablename__ = "scheduled_actions"
    __table_args__ = (
        UniqueConstraint("key", name="uq_scheduled_action_key"),
        Index("ix_scheduled_actions_due", "status", "due_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    key: str = Field(max_length=160)
    kind: str = Field(max_length=32)
    community_id: str = _fk("communities.id", index=False)
    session_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    due_at: datetime = _when()
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    finished_at: datetime | None = _when(nullable=True)
    #: A step calling a chat platform outside any transaction leases itself until then.
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_until: datetime | None = _when(nullable=True)


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    key: str = Field(max_length=200)
    community_id: str = _fk("communities.id", index=False)
    member_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("members.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    space_ref: str | None = Field(default=None, max_length=128)
    private: bool = False
    message: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    sent_ref: str | None = Field(default=None, max_length=128)
    fallback_used: bool = False
    created_at: datetime = _when()
    next_attempt_at: datetime = _when()
    #: Reading order among the messages queued in one transaction (migration 0010).
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: The delivery sending it now, and until when its claim holds (migration 0019_perf).
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_until: datetime | None = _when(nullable=True)


class MatchRoundRow(SQLModel, table=True):
    __tablename__ = "match_rounds"
    __table_args__ = (Index("ix_match_rounds_community_ran", "community_id", "ran_at"),)

    id: str = Field(primary_key=True, max_length=32)
    community_id: str = _fk("communities.id", index=False)
    ran_at: datetime = _when()
    considered: list[str] = _json(list)
    paired: list[list[str]] = _json(list)
    left_out: list[list[str]] = _json(list)


class NoShowRow(SQLModel, table=True):
    __tablename__ = "no_show_reports"
    __table_args__ = (
        UniqueConstraint("session_id", "reporter_id", name="uq_no_show_session_reporter"),
    )

    id: str = Field(primary_key=True, max_length=32)
    session_id: str = _fk("sessions.id")
    reporter_id: str = _fk("members.id", index=False)
    absent_id: str = _fk("members.id")
    reported_at: datetime = _when()
    cleared: bool = False


metadata = SQLModel.metadata
from bot.storage.feedback_tables import FeedbackRow as FeedbackRow  # noqa: E402  (metadata)
from bot.storage.form_tables import FormDraftRow as FormDraftRow  # noqa: E402  (metadata)
from bot.storage.friend_tables import FriendRequestRow as FriendRequestRow  # noqa: E402  (metadata)
from bot.storage.loop_tables import LoopRow as LoopRow  # noqa: E402  (metadata)
from bot.storage.pack_tables import PromptPackRow as PromptPackRow  # noqa: E402  (metadata)
from bot.storage.report_tables import ReportRow as ReportRow  # noqa: E402  (metadata)
from bot.storage.report_tables import SuspensionRow as SuspensionRow  # noqa: E402  (metadata)
from bot.storage.slack_events import SlackEventRow as SlackEventRow  # noqa: E402  (metadata)
from bot.storage.slack_tables import SlackBotRow as SlackBotRow  # noqa: E402  (metadata)
from bot.storage.slack_tables import SlackInstallationRow as SlackInstallationRow  # noqa: E402  (metadata)
from bot.storage.slack_tables import SlackOAuthStateRow as SlackOAuthStateRow  # noqa: E402  (metadata)
