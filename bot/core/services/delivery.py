"""Delivering the outbox: retries on rate limits and server errors, a fallback when a
member's direct messages are closed, and never the same message twice."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import timedelta

from bot.core.actions import encode
from bot.core.clock import Clock
from bot.core.mentions import mention, mentioning
from bot.core.messages import Button, ButtonStyle, OutboundMessage, message_from_dict
from bot.core.models import Community, Member, OutboxItem, Platform, Session
from bot.core.ports import (
    ChatPort,
    DirectMessagesClosed,
    TemporaryDeliveryError,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.core.services.outbox import SESSION_SPACE

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 10


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=max(1.0, retry_after))
    return timedelta(seconds=min(5 * 2**attempts, 1800))


class DeliveryService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, chats: Mapping[Platform, ChatPort]) -> None:
        self._uow = uow
        self._clock = clock
        self._chats = chats

    async def deliver_due(self) -> int:
        now = self._clock.now()
        async with self._uow() as tx:
            ids = await tx.outbox.due_ids(now)
        sent = 0
        for item_id in ids:
            if await self.deliver_one(item_id):
                sent += 1
        return sent

    async def deliver_one(self, item_id: str) -> bool:
        now = self._clock.now()
        async with self._uow() as tx:
            item = await tx.outbox.claim(item_id)
            if item is None:
                return False
            try:
                ref, fallback = await self._send(tx, item)
            except TemporaryDeliveryError as exc:
                give_up = item.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
                await tx.outbox.retry_later(item.id, now + retry_delay(item.attempts, exc.retry_after), str(exc), give_up=give_up)
                (log.error if give_up else log.warning)(
                    "delivery of %s %s (attempt %d): %s", item.key, "given up" if give_up else "will retry",
                    item.attempts + 1, exc)
                return False
            except Exception as exc:
                give_up = item.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
                await tx.outbox.retry_later(item.id, now + retry_delay(item.attempts, None), repr(exc), give_up=give_up)
                log.exception("delivery of %s failed", item.key)
                return False
            await tx.outbox.mark_sent(item.id, ref, fallback=fallback)
        return True

    async def _send(self, tx: UnitOfWork, item: OutboxItem) -> tuple[str, bool]:
        community = await tx.communities.get(item.community_id)
        if community is None:
            return "community-gone", False
        chat = self._chats.get(community.platform)
        if chat is None:
            raise TemporaryDeliveryError(f"no chat face running for {community.platform.value}")
        message = message_from_dict(item.message)
        if item.member_id is not None:
            member = await tx.members.get(item.member_id)
            if member is None:
                return "member-gone", False
            try:
                return await chat.send_direct(member, message), False
            except DirectMessagesClosed:
                if item.space_ref is None:
                    raise TemporaryDeliveryError(f"{member.display_name}'s direct messages are closed") from None
                if item.private and re.search(r":guide:\d+$", item.key):
                    # Later guide pages: the first page's button opens the guide, which links them all.
                    return "guide-page-behind-button", True
                fallback = self._fallback(member, message, item)
                space = await self._space(tx, chat, community, item.space_ref)
                return await chat.post(community, space, fallback), True
        assert item.space_ref is not None
        space = await self._space(tx, chat, community, item.space_ref)
        return await chat.post(community, space, message), False

    def _fallback(self, member: Member, message: OutboundMessage, item: OutboxItem) -> OutboundMessage:
        if not item.private:
            return OutboundMessage(
                title=message.title, text=f"For {mention(member)}: {message.text}", fields=message.fields,
                buttons=message.buttons, attachments=message.attachments, tone=message.tone, ephemeral=False,
                mentions=(*mentioning(member), *message.mentions))
        # Private material never goes to the shared space: only a pointer to where the member
        # can read it privately.
        session_id = (item.space_ref or "").removeprefix(SESSION_SPACE)
        if not item.key.endswith(":guide"):
            return OutboundMessage(
                text=f"{mention(member)}, I couldn't message you directly. Something private is "
                "waiting for you: open your direct messages to PeerLoop, then use `/mock history`.",
                ephemeral=False, mentions=mentioning(member))
        part = "2" if ":swap-" in item.key else "1"
        return OutboundMessage(
            text=f"{mention(member)}, I couldn't message you directly, so your interviewer guide is behind "
            "this button (only you can open it).", mentions=mentioning(member),
            buttons=(Button("Open interviewer guide", encode("guide.open", session_id, part), ButtonStyle.PRIMARY),),
            ephemeral=False)

    async def _space(self, tx: UnitOfWork, chat: ChatPort, community: Community, space_ref: str) -> str:
        if not space_ref.startswith(SESSION_SPACE):
            return space_ref
        session_id = space_ref.removeprefix(SESSION_SPACE)
        session = await tx.sessions.get(session_id)
        if session is None:
            raise TemporaryDeliveryError("session vanished")
        if session.space_ref:
            return session.space_ref
        members = await tx.members.get_many(session.member_ids)
        title = f"{session.interview_type.label}: " + " & ".join(members[m].display_name for m in session.member_ids)
        ref = await chat.open_pair_space(community, [members[m] for m in session.member_ids], title)
        await tx.sessions.save(Session(**{**session.__dict__, "space_ref": ref}))
        return ref
