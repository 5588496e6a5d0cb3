"""Queueing messages inside a transaction: they are delivered after it commits, exactly once per key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.messages import OutboundMessage, message_to_dict
from bot.core.models import OutboxItem, Session
from bot.core.ports import UnitOfWork
from bot.core.services.actor import new_id

#: ``space_ref`` for "the pair space of session X": resolved (and opened if need be) on delivery.
SESSION_SPACE = "session:"


#: ``space_ref`` of an edit: "replace the message sent under this outbox key".
EDIT_OF = "edit:"


def session_space(session_id: str) -> str:
    """The space reference of a session's pair space (opened on the first delivery to it)."""
    return f"{SESSION_SPACE}{session_id}"


def outbox_item(
    key: str,
    community_id: str,
    message: OutboundMessage,
    now: datetime,
    *,
    member_id: str | None = None,
    space_ref: str | None = None,
    private: bool = False,
) -> OutboxItem:
    """A new outbox row, due now: a direct message to ``member_id`` (``space_ref`` its
    fallback), or, without a member, a post in ``space_ref``."""
    return OutboxItem(
        id=new_id(),
        key=key,
        community_id=community_id,
        member_id=member_id,
        space_ref=space_ref,
        private=private,
        message=message_to_dict(message),
        created_at=now,
        next_attempt_at=now,
    )


def direct_item(
    key: str, community_id: str, member_id: str, message: OutboundMessage, now: datetime
) -> OutboxItem:
    """An ordinary direct message (no pair-space fallback), as ``queue_directs`` queues it."""
    return outbox_item(key, community_id, message, now, member_id=member_id)


async def queue_direct(
    tx: UnitOfWork,
    *,
    key: str,
    community_id: str,
    member_id: str,
    message: OutboundMessage,
    now: datetime,
    private: bool = False,
    session_id: str | None = None,
) -> bool:
    """A direct message. When DMs are closed it falls back to the session's pair space —
    with the content for ordinary messages, or only a button for ``private`` ones."""
    return await tx.outbox.add(
        outbox_item(
            key,
            community_id,
            message,
            now,
            member_id=member_id,
            space_ref=session_space(session_id) if session_id else None,
            private=private,
        )
    )


#: Messages per insert when many are queued at once (see ``queue_directs``).
QUEUE_PIECE = 100


async def queue_directs(
    tx: UnitOfWork,
    *,
    community_id: str,
    items: Sequence[tuple[str, str, OutboundMessage]],
    now: datetime,
) -> int:
    """Several ordinary direct messages ``(key, member id, message)``, one insert per
    ``QUEUE_PIECE``, with no pair-space fallback; how many were new. Pieces, because building
    and compiling thousands of rows at once would hold the event loop (docs/scaling.md)."""
    added = 0
    for start in range(0, len(items), QUEUE_PIECE):
        added += await tx.outbox.add_many(
            [
                direct_item(key, community_id, member_id, message, now)
                for key, member_id, message in items[start : start + QUEUE_PIECE]
            ]
        )
    return added


async def queue_space(
    tx: UnitOfWork,
    *,
    key: str,
    community_id: str,
    space_ref: str,
    message: OutboundMessage,
    now: datetime,
) -> bool:
    """Queue a post in a shared space; False if a message with ``key`` was queued already."""
    return await tx.outbox.add(outbox_item(key, community_id, message, now, space_ref=space_ref))


async def queue_session_post(
    tx: UnitOfWork, session: Session, *, key: str, message: OutboundMessage, now: datetime
) -> bool:
    """Queue a post in ``session``'s pair space; False if ``key`` was queued already."""
    return await queue_space(
        tx,
        key=key,
        community_id=session.community_id,
        space_ref=session_space(session.id),
        message=message,
        now=now,
    )


async def queue_edit(
    tx: UnitOfWork,
    *,
    key: str,
    community_id: str,
    original_key: str,
    message: OutboundMessage,
    now: datetime,
) -> bool:
    """Replace the message queued under ``original_key`` once it is sent (its buttons with
    ``message``'s): an invitation that lapsed or was withdrawn shows so, with no buttons."""
    return await tx.outbox.add(
        outbox_item(key, community_id, message, now, space_ref=f"{EDIT_OF}{original_key}")
    )
