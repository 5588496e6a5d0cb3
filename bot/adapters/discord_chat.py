"""The Discord :class:`~bot.core.ports.ChatPort`: direct messages, private pair threads, posts.

Discord's answers become the core's delivery errors: a closed DM (403, code 50007)
is :class:`DirectMessagesClosed` (the outbox falls back to the pair thread), a rate
limit or server error is :class:`TemporaryDeliveryError` (the outbox retries later), a
thread or channel deleted (10003 Unknown Channel) or closed to the bot (50001 Missing Access,
50013 Missing Permissions) is :class:`SpaceUnavailable` (the outbox stops posting there).
discord.py already retries 429s and 5xx a few times before giving up; it waits out a rate
limit in place only up to the client's ``max_ratelimit_timeout`` (``RATE_LIMIT_WAIT``), and
raises ``RateLimited`` for a longer one, which the outbox retries after it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Final, TypeVar

import discord

from bot.adapters.discord_render import render_message, strip_controls
from bot.adapters.discord_voice import DiscordRoom
from bot.core.messages import OutboundMessage
from bot.core.models import Community, Member, Platform
from bot.core.ports import (
    DirectMessagesClosed,
    SessionEvent,
    SpaceUnavailable,
    TemporaryDeliveryError,
    VoiceRequest,
    VoiceRoom,
)

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
THREAD_ARCHIVED = 50083
#: The longest rate limit discord.py waits out in place (its ``max_ratelimit_timeout``, at
#: least 30): a longer one is handed to the outbox, whose claim on a message outlasts this.
RATE_LIMIT_WAIT = 30.0
THREAD_NAME = 100
#: A week of inactivity before Discord hides the thread (it reopens when someone posts).
AUTO_ARCHIVE_MINUTES: Final = 10080

T = TypeVar("T")


class PairSpaceUnavailable(SpaceUnavailable):
    """No channel the bot can open a private thread in (an admin needs to fix permissions)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, needs_admin=True)


async def _call(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except discord.Forbidden as exc:
        if exc.code == CANNOT_MESSAGE_USER:
            raise DirectMessagesClosed(str(exc.text)) from None
        raise
    except discord.DiscordServerError as exc:
        raise TemporaryDeliveryError(f"Discord server error {exc.status}") from None
    except discord.HTTPException as exc:
        if exc.status == 429:
            retry_after = getattr(exc, "retry_after", None)
            raise TemporaryDeliveryError("Discord rate limit", retry_after, refused=True) from None
        raise
    except discord.RateLimited as exc:  # longer than the client waits in place
        raise TemporaryDeliveryError("Discord rate limit", exc.retry_after, refused=True) from None


async def _in_space(call: Callable[[], Awaitable[T]]) -> T:
    """A call on a channel, thread or message the bot posted: gone or closed to it is
    :class:`SpaceUnavailable` (an admin can give access back; a deletion is final)."""
    try:
        return await _call(call)
    except discord.NotFound as exc:
        if exc.code in (UNKNOWN_CHANNEL, UNKNOWN_MESSAGE):
            raise SpaceUnavailable(f"Discord {exc.code}") from None
        raise
    except discord.Forbidden as exc:
        if exc.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
            raise SpaceUnavailable(f"Discord {exc.code}", needs_admin=True) from None
        if exc.code == THREAD_ARCHIVED:
            raise SpaceUnavailable(f"Discord {exc.code}") from None
        raise


class DiscordChat:
    platform = Platform.DISCORD

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        #: The sessions' voice channels and scheduled events.
        self.room = DiscordRoom(client)

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        user_id = int(member.external_id)

        async def send() -> discord.Message:
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            return await user.send(**render_message(message).send_kwargs())

        sent = await _call(send)
        return f"{sent.channel.id}/{sent.id}"

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await _call(lambda: self.client.fetch_channel(channel_id))
        return channel

    async def _pair_parent(self, community: Community) -> discord.TextChannel:
        if community.settings.pair_channel_id:
            channel_id = int(community.settings.pair_channel_id)
            channel = await _in_space(lambda: self._channel(channel_id))
            if isinstance(channel, discord.TextChannel):
                return channel
        guild = self.client.get_guild(int(community.external_id))
        if guild is not None:
            me, channels = guild.me, guild.text_channels
        elif self.client.user is not None and not self.client.is_ready():
            # No gateway in this process (a worker delivering over REST): ask for the guild.
            guild_id, user_id = int(community.external_id), self.client.user.id
            guild = await _call(lambda: self.client.fetch_guild(guild_id, with_counts=False))
            me = await _call(lambda: guild.fetch_member(user_id))
            channels = [
                c for c in await _call(guild.fetch_channels) if isinstance(c, discord.TextChannel)
            ]
        if guild is not None:
            for channel in sorted(channels, key=lambda c: (c.position, c.id)):
                perms = channel.permissions_for(me)
                if (
                    perms.view_channel
                    and perms.send_messages_in_threads
                    and perms.create_private_threads
                ):
                    return channel
        raise PairSpaceUnavailable(
            "No channel where PeerLoop can open private threads: give it View Channel, "
            "Create Private Threads and Send Messages in Threads, or set a pair channel."
        )

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        try:
            return await self._open_thread(community, members, title)
        except SpaceUnavailable as exc:  # the pair channel is gone or closed: an admin's to fix
            raise PairSpaceUnavailable(exc.reason) from None

    async def _open_thread(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        parent = await self._pair_parent(community)
        thread = await _in_space(
            lambda: parent.create_thread(
                name=strip_controls(title)[:THREAD_NAME] or "PeerLoop session",
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=AUTO_ARCHIVE_MINUTES,
            )
        )
        for member in members:
            try:
                await _call(partial(thread.add_user, discord.Object(int(member.external_id))))
            except discord.NotFound:
                # Left the server since asking (Unknown Member): the thread is still the pair's
                # space, so the partner is told there; failing here would open a new thread on
                # every retry and tell nobody.
                log.warning(
                    "a paired member is no longer in the server; the pair thread opened without them"
                )
            except TemporaryDeliveryError as exc:
                # The thread exists now: opening it again later would make a second one.
                raise TemporaryDeliveryError(str(exc), exc.retry_after) from None
        return str(thread.id)

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        channel = await _in_space(lambda: self._channel(int(space_ref)))
        sent = await _in_space(lambda: channel.send(**render_message(message).send_kwargs()))
        return f"{channel.id}/{sent.id}"

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        """Replace a message sent as ``channel/message`` (no pings: an edit never notifies)."""
        channel_id, _, message_id = message_ref.partition("/")
        rendered = render_message(message)
        target = self.client.get_partial_messageable(int(channel_id)).get_partial_message(
            int(message_id)
        )
        await _in_space(
            lambda: target.edit(
                content=rendered.content or None,
                embed=rendered.embed,
                view=rendered.view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        )

    async def open_voice(self, community: Community, request: VoiceRequest) -> VoiceRoom | None:
        return await self.room.open_voice(community.external_id, request)

    async def close_voice(self, community: Community, ref: str | None, name: str) -> None:
        await self.room.close_voice(community.external_id, ref, name)

    async def put_event(
        self, community: Community, event: SessionEvent, ref: str | None
    ) -> str | None:
        return await self.room.put_event(community.external_id, event, ref)

    async def cancel_event(
        self, community: Community, ref: str | None, marker: str | None = None
    ) -> None:
        await self.room.cancel_event(community.external_id, ref, marker)
