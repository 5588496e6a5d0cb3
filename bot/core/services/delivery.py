"""Delivering the outbox: retries on rate limits and server errors, a fallback when a
member's direct messages are closed, and never the same message twice.

A session's pair space is opened at most once, whatever the crash point: the right to open
it is claimed and committed first, the platform is asked outside any transaction, then the
space is recorded. A later delivery that finds a claim without a space does not open a
second one: it waits while the claim is fresh, then gives the pair space up and sends the
session's messages by DM (docs/scaling.md, "Pair spaces and crashes").
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.actions import encode
from bot.core.clock import Clock
from bot.core.incidents import report_incident
from bot.core.invites import CALENDAR, invite_attachment
from bot.core.log_context import DELIVERY, bind, log_context
from bot.core.mentions import mention, mentioning
from bot.core.messages import (
    Attachment,
    Button,
    ButtonStyle,
    OutboundMessage,
    PictureRef,
    Tone,
    message_from_dict,
)
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.models import Community, Member, OutboxItem, OutboxStatus, Platform
from bot.core.ports import (
    AttachmentsNotSent,
    ChatPort,
    DirectMessagesClosed,
    PairSpaceState,
    SpaceUnavailable,
    TemporaryDeliveryError,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.core.services.actor import new_id
from bot.core.services.outbox import EDIT_OF, SESSION_SPACE, outbox_item, queue_space
from bot.core.services.progress import PictureCache

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 10
#: How long a claim to open a pair space may stay without a space before it counts as
#: interrupted (opening one takes seconds, rate limits included).
PAIR_SPACE_PATIENCE = timedelta(minutes=10)
#: How long a delivery waits, in place, for a space another one is opening.
PAIR_SPACE_POLLS = 30
PAIR_SPACE_POLL_SECONDS = 0.1
#: How long a delivery's claim on a message holds while it is sent (the send happens outside
#: any transaction). A delivery that dies meanwhile leaves the message to be sent again once
#: the claim runs out; a send that outlasts it may be repeated by another delivery (at least
#: once, as before). Chat platforms answer within seconds, their clients time out long before.
SEND_LEASE = timedelta(minutes=2)
#: After this many failed attempts to draw a message's pictures, it goes without them (its
#: text carries the same figures): a broken chart never holds a digest back for good.
PICTURE_ATTEMPTS = 3

#: Stored in the community's ``room_notices`` once the admins were told the app may not open
#: or post in pair spaces (choosing the pair channel again forgets it).
PAIR_SPACE_NOTICE = "pair spaces"
PAIR_SPACE_DENIED = OutboundMessage(
    title="PeerLoop lost access to pair spaces",
    text=(
        "PeerLoop could not open or post in a pair's private space: it lacks access to the "
        "channel (the app was removed from it, or a permission was taken away). Meanwhile the "
        "pairs get their messages directly. Give PeerLoop its access back (on Discord: View "
        "Channel, Create Private Threads and Send Messages in Threads in the pair channel), or "
        "choose another pair channel with the admins' `setup` command. This is said once."
    ),
    tone=Tone.WARNING,
    ephemeral=False,
)

#: Draws a picture a queued message refers to (off the event loop); None: nothing to draw.
PictureDrawer = Callable[[PictureRef], Awaitable[Attachment | None]]


class _NeedsPairSpace(Exception):
    """The message goes to a pair space nobody has opened yet: open it outside the transaction."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id


class _NeedsPictures(Exception):
    """The message's pictures are not drawn yet: draw them outside the transaction."""

    def __init__(self, pictures: tuple[PictureRef, ...], attempts: int) -> None:
        super().__init__(len(pictures))
        self.pictures = pictures
        self.attempts = attempts


class _NoPairSpace(Exception):
    """The session's pair space was given up: its messages go by DM."""


class _CommunityAbsent(Exception):
    """PeerLoop was removed from the message's community: it cannot be sent there."""


class _SpaceLost(Exception):
    """The session's pair space turned out gone: it is recorded lost, and the message is sent
    again at once (by DM)."""


async def tell_admins_about_spaces(tx: UnitOfWork, community: Community, now: datetime) -> None:
    """Tell the admins, once, that the app may not open or post in pair spaces (in the admins'
    channel; without one the log says so)."""
    fresh = await tx.communities.get(community.id) or community
    settings = fresh.settings
    if PAIR_SPACE_NOTICE in settings.room_notices:
        return
    if settings.admin_channel_id:
        await queue_space(
            tx,
            # one notice per pair channel, however many deliveries find it at once
            key=f"space-denied:{community.id}:{settings.pair_channel_id}",
            community_id=community.id,
            space_ref=settings.admin_channel_id,
            now=now,
            message=PAIR_SPACE_DENIED,
        )
    else:
        log.warning("community %s: no access to pair spaces and no admins' channel", community.id)
    await tx.communities.save_settings(
        community.id, replace(settings, room_notices=(*settings.room_notices, PAIR_SPACE_NOTICE))
    )


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """How long to wait before the next attempt: what the platform asked for, else exponential
    backoff (5 s doubling, at most 30 min)."""
    if retry_after is not None:
        return timedelta(seconds=max(1.0, retry_after))
    return timedelta(seconds=min(5 * 2**attempts, 1800))


class DeliveryService:
    """Delivers the outbox: each due message through its platform's chat port, retried on
    temporary errors, falling back to the pair space when direct messages are closed."""

    metrics: Metrics = NO_METRICS

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        chats: Mapping[Platform, ChatPort],
        *,
        pictures: PictureDrawer | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._chats = chats
        #: Draws the pictures queued messages refer to (None: they go without).
        self.pictures = pictures
        #: Pictures drawn for messages being delivered, by outbox item id (a retry after a
        #: rate limit sends the same picture without drawing it again).
        self._drawn: PictureCache[tuple[Attachment, ...]] = PictureCache(size=64)
        #: How many pictures were drawn here (for tests and the benchmark).
        self.drawn = 0

    async def deliver_due(self) -> int:
        """Deliver every message due now; returns how many were sent."""
        now = self._clock.now()
        async with self._uow() as tx:
            ids = await tx.outbox.due_ids(now)
        sent = 0
        for item_id in ids:
            if await self.deliver_one(item_id):
                sent += 1
        return sent

    async def deliver_one(self, item_id: str) -> bool:
        """Deliver one outbox item (opening the session's pair space, or drawing its pictures,
        first when needed); True if it was sent. Its log lines carry a request id of their own."""
        with log_context(DELIVERY, fresh=True):
            return await self._deliver_one(item_id)

    async def _deliver_one(self, item_id: str) -> bool:
        for _ in range(3):
            try:
                return await self._deliver(item_id)
            except _NeedsPairSpace as need:
                try:
                    await self._open_pair_space(need.session_id)
                except Exception as exc:
                    await self._retry(item_id, exc)
                    return False
            except _NeedsPictures as need:
                if not await self._draw(item_id, need):
                    return False
            except _SpaceLost:
                continue
        return False

    async def _draw(self, item_id: str, need: _NeedsPictures) -> bool:
        """Draw a message's pictures outside any transaction (the drawer works off the event
        loop) and keep them for the delivery that follows; False: it failed, retried later."""
        drawn: list[Attachment] = []
        try:
            for ref in need.pictures:
                if self.pictures is not None and (picture := await self.pictures(ref)) is not None:
                    drawn.append(picture)
                    self.drawn += 1
        except Exception as exc:
            if need.attempts + 1 < PICTURE_ATTEMPTS:
                await self._retry(item_id, exc)
                return False
            incident = report_incident(log, exc, f"drawing the pictures of outbox item {item_id}")
            log.error("outbox item %s goes without its pictures (incident %s)", item_id, incident)
            drawn = []
        self._drawn.put(item_id, need.pictures, tuple(drawn))
        return True

    def _with_pictures(self, item: OutboxItem, message: OutboundMessage) -> OutboundMessage:
        """The message with its calendar invites written and its pictures attached, once drawn
        (:class:`_NeedsPictures` before)."""
        if not message.pictures:
            return message
        calendars = tuple(invite_attachment(p) for p in message.pictures if p.kind == CALENDAR)
        if calendars:  # written here, at once (a fraction of a millisecond each)
            message = replace(
                message,
                attachments=(*message.attachments, *calendars),
                pictures=tuple(p for p in message.pictures if p.kind != CALENDAR),
            )
            if not message.pictures:
                return message
        drawn = self._drawn.get(item.id, message.pictures) if self.pictures is not None else ()
        if drawn is None:
            raise _NeedsPictures(message.pictures, item.attempts)
        return replace(message, attachments=(*message.attachments, *drawn), pictures=())

    async def _deliver(self, item_id: str) -> bool:
        """Claim (a short transaction of its own), send outside any transaction (the reads it
        needs in a read-only one: on SQLite no write lock is held while the platform answers),
        then record the result in another short transaction."""
        now, token = self._clock.now(), new_id()
        async with self._uow() as tx:
            item = await tx.outbox.claim(item_id, token=token, now=now, until=now + SEND_LEASE)
        if item is None:
            return False
        bind(community=item.community_id, member=item.member_id)
        failure: Exception | None = None
        try:
            async with self._uow() as tx:
                platform = await self._platform(tx, item)
                try:
                    ref, fallback = await self._send(tx, item)
                except (_NeedsPairSpace, _NeedsPictures):
                    raise
                except Exception as exc:
                    failure = exc
        except BaseException:
            # Not sent (a space to open, pictures to draw) or interrupted: give the claim back
            # so the next attempt need not wait for the lease (deliver_one comes back at once).
            await self._release(item.id, token)
            raise
        if isinstance(failure, SpaceUnavailable):
            if await self._space_unavailable(item, failure, platform, token):
                raise _SpaceLost(item.id)
            return False
        if isinstance(failure, AttachmentsNotSent):
            ref, fallback = failure.ref, False
        async with self._uow() as tx:
            if isinstance(failure, AttachmentsNotSent):
                await self._files_again(tx, item, failure)
            elif failure is not None:
                await self._record_failure(tx, item, failure, platform, token)
                return False
            if not await tx.outbox.mark_sent(item.id, ref, fallback=fallback, token=token):
                log.warning("delivery of %s outlasted its claim; sent meanwhile again", item.key)
        self.metrics.delivery_finished(platform, "fallback" if fallback else "sent")
        return True

    async def _files_again(
        self, tx: UnitOfWork, item: OutboxItem, missing: AttachmentsNotSent
    ) -> None:
        """The message went but its files did not: they are queued on their own (sending the
        message again would repeat it), to whoever lacks them, after the wait the platform
        asked for (or the first backoff)."""
        now = self._clock.now()
        cause = missing.cause
        wait = retry_delay(
            0, cause.retry_after if isinstance(cause, TemporaryDeliveryError) else None
        )
        files = OutboundMessage(text="", attachments=missing.attachments, ephemeral=False)
        log.warning(
            "delivery of %s: sent without its files (%s); they follow on their own",
            item.key,
            type(cause).__qualname__,
        )
        targets = [(f"{item.key}:files", item.member_id, item.space_ref)]
        if missing.members:
            targets = [(f"{item.key}:files:{m}", m, None) for m in missing.members]
        for key, member_id, space_ref in targets:
            queued = outbox_item(
                key,
                item.community_id,
                files,
                now,
                member_id=member_id,
                space_ref=space_ref,
                private=item.private,
            )
            await tx.outbox.add(replace(queued, next_attempt_at=now + wait))

    async def _space_unavailable(
        self, item: OutboxItem, exc: SpaceUnavailable, platform: str, token: str
    ) -> bool:
        """The space the item went to is gone or closed to the app: trying again would not help.
        A session's pair space is recorded lost (its messages go by DM from now on; True: send
        this one again at once); any other channel's message is given up. The admins are told
        once when one of them can put it right."""
        now = self._clock.now()
        async with self._uow() as tx:
            community = await tx.communities.get(item.community_id)
            if exc.needs_admin and community is not None:
                await tell_admins_about_spaces(tx, community, now)
            session_id = (item.space_ref or "").removeprefix(SESSION_SPACE)
            if (item.space_ref or "").startswith(SESSION_SPACE):
                space = await tx.sessions.pair_space(session_id)
                if space is not None and space.ref is not None:  # else lost meanwhile
                    await tx.sessions.lose_pair_space(session_id, space.ref)
                await tx.outbox.release(item.id, token)
                log.warning(
                    "session %s: its pair space is unavailable (%s); its messages go by DM",
                    session_id,
                    exc.reason,
                )
                return True
            await tx.outbox.retry_later(
                item.id, now, f"space unavailable: {exc.reason}", give_up=True, token=token
            )
        self.metrics.delivery_finished(platform, "gave_up")
        log.error("delivery of %s given up: the space is unavailable (%s)", item.key, exc.reason)
        return False

    async def _release(self, item_id: str, token: str) -> None:
        try:
            async with self._uow() as tx:
                await tx.outbox.release(item_id, token)
        except Exception:  # the lease runs out on its own
            log.warning("could not release the claim on outbox item %s", item_id)

    async def _record_failure(
        self, tx: UnitOfWork, item: OutboxItem, exc: Exception, platform: str, token: str
    ) -> None:
        now = self._clock.now()
        if isinstance(exc, _CommunityAbsent):  # nobody there to read it: no retries
            self.metrics.delivery_finished(platform, "gave_up")
            await tx.outbox.retry_later(
                item.id, now, "PeerLoop was removed from the community", give_up=True, token=token
            )
            log.info("delivery of %s given up: PeerLoop was removed from the community", item.key)
            return
        give_up = item.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
        self.metrics.delivery_finished(platform, "gave_up" if give_up else "retry")
        if isinstance(exc, TemporaryDeliveryError):
            await tx.outbox.retry_later(
                item.id,
                now + retry_delay(item.attempts, exc.retry_after),
                str(exc),
                give_up=give_up,
                token=token,
            )
            (log.error if give_up else log.warning)(
                "delivery of %s %s (attempt %d): %s",
                item.key,
                "given up" if give_up else "will retry",
                item.attempts + 1,
                exc,
            )
            return
        # Unexpected: logged once with an incident id, never with the exception's message
        # (it may quote a member's text); the row keeps only the type and the id.
        incident = report_incident(log, exc, f"delivery of {item.key}")
        await tx.outbox.retry_later(
            item.id,
            now + retry_delay(item.attempts, None),
            f"{type(exc).__qualname__} (incident {incident})",
            give_up=give_up,
            token=token,
        )

    async def _retry(self, item_id: str, exc: Exception) -> None:
        now, token = self._clock.now(), new_id()
        async with self._uow() as tx:
            item = await tx.outbox.claim(item_id, token=token, now=now, until=now + SEND_LEASE)
            if item is not None:
                await self._record_failure(tx, item, exc, await self._platform(tx, item), token)

    @staticmethod
    async def _platform(tx: UnitOfWork, item: OutboxItem) -> str:
        """The platform an item goes to (the community is read once: ``_send`` reads it again
        from the unit of work's identity map)."""
        community = await tx.communities.get(item.community_id)
        return community.platform.value if community is not None else "none"

    async def _send(self, tx: UnitOfWork, item: OutboxItem) -> tuple[str, bool]:
        community = await tx.communities.get(item.community_id)
        if community is None:
            return "community-gone", False
        if community.settings.absent:
            raise _CommunityAbsent(community.id)
        chat = self._chats.get(community.platform)
        if chat is None:
            raise TemporaryDeliveryError(f"no chat face running for {community.platform.value}")
        message = self._with_pictures(item, message_from_dict(item.message))
        if item.member_id is None and (item.space_ref or "").startswith(EDIT_OF):
            return await self._edit(tx, chat, item, message), False
        if item.member_id is not None:
            member = await tx.members.get(item.member_id)
            if member is None:
                return "member-gone", False
            try:
                return await chat.send_direct(member, message), False
            except DirectMessagesClosed:
                if item.space_ref is None:
                    raise TemporaryDeliveryError(
                        "the member's direct messages are closed"
                    ) from None
                if item.private and re.search(r":guide:\d+$", item.key):
                    # Later guide pages: the first page's button opens the guide, which links them all.
                    return "guide-page-behind-button", True
                fallback = self._fallback(member, message, item)
                try:
                    space = await self._space(tx, item.space_ref)
                except _NoPairSpace:
                    log.warning(
                        "delivery of %s: direct messages closed and no pair space; not delivered",
                        item.key,
                    )
                    return "dms-closed-no-space", True
                return await chat.post(community, space, fallback), True
        assert item.space_ref is not None
        try:
            space = await self._space(tx, item.space_ref)
        except _NoPairSpace:
            return await self._post_by_direct_messages(tx, chat, item, message), True
        return await chat.post(community, space, message), False

    @staticmethod
    async def _edit(
        tx: UnitOfWork, chat: ChatPort, item: OutboxItem, message: OutboundMessage
    ) -> str:
        """Replace a message sent earlier (``queue_edit``): after it is sent, never before."""
        original = await tx.outbox.by_key((item.space_ref or "").removeprefix(EDIT_OF))
        if original is None or original.status is OutboxStatus.FAILED:
            return "edit-nothing-sent"
        if original.status is not OutboxStatus.SENT or not original.sent_ref:
            raise TemporaryDeliveryError("the message to replace is not sent yet")
        community = await tx.communities.get(item.community_id)
        assert community is not None
        try:
            await chat.edit(community, original.sent_ref, message)
        except SpaceUnavailable as exc:  # deleted since, or its space is: nothing left to edit
            log.info("delivery of %s: the message to replace is gone (%s)", item.key, exc.reason)
            return "edit-target-gone"
        return f"edit:{original.sent_ref}"[:128]

    async def _post_by_direct_messages(
        self, tx: UnitOfWork, chat: ChatPort, item: OutboxItem, message: OutboundMessage
    ) -> str:
        """A pair-space post of a session without a space: each member gets it directly."""
        session = (
            await tx.sessions.get(item.space_ref.removeprefix(SESSION_SPACE))
            if item.space_ref
            else None
        )
        if session is None:
            return "session-gone"
        members = await tx.members.get_many(session.member_ids)
        refs: list[str] = []
        without_files: list[str] = []
        attachments: tuple[Attachment, ...] = ()
        for member_id in session.member_ids:
            if (member := members.get(member_id)) is None:
                continue
            try:
                refs.append(await chat.send_direct(member, message))
            except DirectMessagesClosed:
                continue
            except AttachmentsNotSent as missing:  # the text went: go on to the partner
                refs.append(missing.ref)
                without_files.append(member_id)
                attachments, cause = missing.attachments, missing.cause
        if not refs:
            log.warning(
                "delivery of %s: no pair space and both members' direct messages closed", item.key
            )
            return "no-space-dms-closed"
        ref = ("direct:" + ",".join(refs))[:128]
        if without_files:
            raise AttachmentsNotSent(ref, attachments, cause, tuple(without_files))
        return ref

    def _fallback(
        self, member: Member, message: OutboundMessage, item: OutboxItem
    ) -> OutboundMessage:
        if not item.private:
            return OutboundMessage(
                title=message.title,
                text=f"For {mention(member)}: {message.text}",
                fields=message.fields,
                buttons=message.buttons,
                attachments=message.attachments,
                tone=message.tone,
                ephemeral=False,
                mentions=(*mentioning(member), *message.mentions),
            )
        # Private material never goes to the shared space: only a pointer to where the member
        # can read it privately.
        session_id = (item.space_ref or "").removeprefix(SESSION_SPACE)
        if not item.key.endswith(":guide"):
            return OutboundMessage(
                text=f"{mention(member)}, I couldn't message you directly. Something private is "
                "waiting for you: open your direct messages to PeerLoop, then use `/mock history`.",
                ephemeral=False,
                mentions=mentioning(member),
            )
        part = "2" if ":swap-" in item.key else "1"
        return OutboundMessage(
            text=f"{mention(member)}, I couldn't message you directly, so your interviewer guide is behind "
            "this button (only you can open it).",
            mentions=mentioning(member),
            buttons=(
                Button(
                    "Open interviewer guide",
                    encode("guide.open", session_id, part),
                    ButtonStyle.PRIMARY,
                ),
            ),
            ephemeral=False,
        )

    async def _space(self, tx: UnitOfWork, space_ref: str) -> str:
        """The space to post in; :class:`_NeedsPairSpace` when the session's is not open yet,
        :class:`_NoPairSpace` when it was given up."""
        if not space_ref.startswith(SESSION_SPACE):
            return space_ref
        session_id = space_ref.removeprefix(SESSION_SPACE)
        space = await tx.sessions.pair_space(session_id)
        if space is None:
            raise TemporaryDeliveryError("session vanished")
        if space.ref is not None:
            return space.ref
        if space.state is PairSpaceState.DIRECT:
            raise _NoPairSpace(session_id)
        raise _NeedsPairSpace(session_id)

    async def _wait_for_space(self, session_id: str) -> None:
        """Another delivery is opening the space right now (it takes a second or two): wait
        for it briefly, then leave the message for a later attempt."""
        for _ in range(PAIR_SPACE_POLLS):
            await asyncio.sleep(PAIR_SPACE_POLL_SECONDS)
            async with self._uow() as tx:
                space = await tx.sessions.pair_space(session_id)
            if space is None or space.state is not PairSpaceState.OPENING:
                return
        raise TemporaryDeliveryError("the pair space is being opened")

    async def _open_pair_space(self, session_id: str) -> None:
        """Claim (committed), open on the platform (outside any transaction), record: a crash
        anywhere leaves at most one space for the session."""
        token, now = new_id(), self._clock.now()
        async with self._uow() as tx:
            session = await tx.sessions.get(session_id)
            if session is None:
                raise TemporaryDeliveryError("session vanished")
            if not await tx.sessions.claim_pair_space(session_id, token, now):
                space = await tx.sessions.pair_space(session_id)
                if space is None or space.state is not PairSpaceState.OPENING:
                    return  # opened, or given up, meanwhile
                if space.claimed_at is not None and now - space.claimed_at < PAIR_SPACE_PATIENCE:
                    fresh = True
                else:
                    # A claim that never got its space: the opening was interrupted, and the platform
                    # may hold a space nobody recorded. Opening another could make two: use DMs.
                    await tx.sessions.give_up_pair_space(session_id)
                    log.warning(
                        "session %s: opening its pair space was interrupted; its messages go by DM",
                        session_id,
                    )
                    return
            else:
                fresh = False
                community = await tx.communities.get(session.community_id)
                members = await tx.members.get_many(session.member_ids)
        if fresh:
            await self._wait_for_space(session_id)
            return
        chat = self._chats.get(community.platform) if community else None
        if community is None or chat is None:
            raise TemporaryDeliveryError("no chat face for the session's community")
        title = f"{session.interview_type.label}: " + " & ".join(
            members[m].display_name for m in session.member_ids
        )
        try:
            ref = await chat.open_pair_space(
                community, [members[m] for m in session.member_ids], title
            )
        except TemporaryDeliveryError as exc:
            if not exc.refused:
                await self._gave_up_opening(session_id, community, exc)
                return
            # Turned away unprocessed (a rate limit): nothing was made, so it is opened later.
            async with self._uow() as tx:
                await tx.sessions.release_pair_space_claim(session_id, token)
            raise
        except Exception as exc:
            await self._gave_up_opening(session_id, community, exc)
            return
        async with self._uow() as tx:
            if not await tx.sessions.set_pair_space(session_id, token, ref):
                log.warning(
                    "session %s: a pair space was opened after its claim was given up", session_id
                )

    async def _gave_up_opening(self, session_id: str, community: Community, exc: Exception) -> None:
        """Whether the platform made the space before failing is unknown: never try again."""
        async with self._uow() as tx:
            await tx.sessions.give_up_pair_space(session_id)
            if isinstance(exc, SpaceUnavailable) and exc.needs_admin:
                await tell_admins_about_spaces(tx, community, self._clock.now())
        log.warning(
            "session %s: opening its pair space failed (%s); its messages go by DM",
            session_id,
            type(exc).__qualname__,
        )
