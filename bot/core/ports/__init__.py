"""Ports: what the core needs from the outside world, as Protocols.

Storage (``bot/storage``) implements the repositories (:mod:`.repos`, :mod:`.feature_repos`) and
the unit of work (:mod:`.unit_of_work`); each face implements :class:`ChatPort` and
``bot/scheduling`` implements :class:`JobScheduler` (:mod:`.runtime`); ``bot/prompts`` implements
the bank's ports (:mod:`.prompts`). Tests use in-memory fakes of the same ports. This package
re-exports every port, so callers write ``from bot.core.ports import UnitOfWork``.
"""

from bot.core.ports.feature_repos import (
    DigestRepo,
    FeedbackRepo,
    FormDraftRepo,
    FriendRequestRepo,
    PrivacyRepo,
    PromptPackRepo,
    ReportRepo,
    RetentionRepo,
    StatsRepo,
)
from bot.core.ports.loop_repo import LoopRepo
from bot.core.ports.prompts import (
    PackCodec,
    PromptSource,
)
from bot.core.ports.repos import (
    ActionRepo,
    BookingRepo,
    CommunityRepo,
    MemberRepo,
    NoShowRepo,
    OutboxRepo,
    PairSpace,
    PairSpaceState,
    RequestRepo,
    RoundRepo,
    SessionRepo,
)
from bot.core.ports.room import (
    RoomDenied,
    RoomFailed,
    SessionEvent,
    VoiceRequest,
    VoiceRoom,
)
from bot.core.ports.runtime import (
    AttachmentsNotSent,
    ChatPort,
    DirectMessagesClosed,
    JobScheduler,
    Offload,
    SpaceUnavailable,
    TemporaryDeliveryError,
)
from bot.core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)

__all__ = [
    "ActionRepo",
    "AttachmentsNotSent",
    "BookingRepo",
    "ChatPort",
    "CommunityRepo",
    "DigestRepo",
    "DirectMessagesClosed",
    "FeedbackRepo",
    "FormDraftRepo",
    "FriendRequestRepo",
    "JobScheduler",
    "LoopRepo",
    "MemberRepo",
    "NoShowRepo",
    "Offload",
    "OutboxRepo",
    "PackCodec",
    "PairSpace",
    "PairSpaceState",
    "PrivacyRepo",
    "PromptPackRepo",
    "PromptSource",
    "ReportRepo",
    "RequestRepo",
    "RetentionRepo",
    "RoomDenied",
    "RoomFailed",
    "RoundRepo",
    "SessionEvent",
    "SessionRepo",
    "SpaceUnavailable",
    "StatsRepo",
    "TemporaryDeliveryError",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "VoiceRequest",
    "VoiceRoom",
]
