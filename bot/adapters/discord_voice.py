"""A session's private voice channel and scheduled event on Discord (REST only, so a worker
without a gateway runs them too).

The voice channel is made in the admins' category with permission overwrites: @everyone may
neither see nor join it; each member of the pair may see it, join and speak; the community's
admins (the roles with Manage Server or Administrator, who run ``/mockadmin``) may see and
join it; PeerLoop itself may see it and manage it (to remove it later). Discord lets a bot allow or deny only what it
holds itself, so PeerLoop needs Manage Channels, View Channels, Connect and Speak; a 403
becomes :class:`RoomDenied` naming the missing permission. Events need Create Events.

Errors become the core's: a missing permission :class:`RoomDenied`, anything else
:class:`RoomFailed` with the status and code only (Discord's answer is never logged).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

import discord

from bot.adapters.discord_render import strip_controls
from bot.core.ports import RoomDenied, RoomFailed, SessionEvent, VoiceRequest, VoiceRoom

VIEW_CHANNEL: Final = 1 << 10
CONNECT: Final = 1 << 20
SPEAK: Final = 1 << 21
MANAGE_CHANNELS: Final = 1 << 4
ADMINISTRATOR: Final = 1 << 3
MANAGE_GUILD: Final = 1 << 5
#: Channel types and overwrite targets (Discord's numbers).
GUILD_VOICE: Final = 2
ROLE, MEMBER = 0, 1
#: Scheduled events: privacy GUILD_ONLY; entity types VOICE and EXTERNAL.
GUILD_ONLY: Final = 2
EVENT_VOICE, EVENT_EXTERNAL = 2, 3
MISSING_PERMISSIONS = 50013
CHANNEL_NAME = 100
EVENT_NAME, EVENT_TEXT, LOCATION = 100, 1000, 100

T = TypeVar("T")


async def _call(call: Callable[[], Awaitable[T]], needs: str) -> T:
    """One REST call; a 403 is the missing permission ``needs``, other errors carry no body."""
    try:
        return await call()
    except discord.Forbidden as exc:
        if exc.code in (MISSING_PERMISSIONS, 0, 50001):  # Missing Permissions / Missing Access
            raise RoomDenied(needs) from None
        raise RoomFailed(f"Discord 403 code {exc.code}") from None
    except discord.HTTPException as exc:
        raise RoomFailed(f"Discord {exc.status} code {exc.code}") from None


def admin_roles(guild_id: str, roles: Sequence[Mapping[str, Any]]) -> list[str]:
    """The guild's roles whose members are PeerLoop's admins there (Manage Server or
    Administrator; ``/mockadmin`` needs Manage Server): not @everyone, not a bot's own role."""
    return [
        str(role["id"])
        for role in roles
        if str(role.get("id")) != guild_id
        and not role.get("managed")
        and int(role.get("permissions") or 0) & (MANAGE_GUILD | ADMINISTRATOR)
    ]


def overwrites(
    guild_id: str, request: VoiceRequest, bot_id: int, admins: list[str] | None = None
) -> list[dict[str, Any]]:
    """Who may see and join the pair's channel: the pair, the admins' roles and PeerLoop;
    @everyone may not."""
    pair = [
        {"id": ref, "type": MEMBER, "allow": VIEW_CHANNEL | CONNECT | SPEAK, "deny": 0}
        for ref in request.member_refs
    ]
    moderators = [
        {"id": role, "type": ROLE, "allow": VIEW_CHANNEL | CONNECT, "deny": 0}
        for role in admins or []
    ]
    return [
        {"id": guild_id, "type": ROLE, "allow": 0, "deny": VIEW_CHANNEL | CONNECT},
        *pair,
        *moderators,
        {
            "id": str(bot_id),
            "type": MEMBER,
            "allow": VIEW_CHANNEL | CONNECT | MANAGE_CHANNELS,
            "deny": 0,
        },
    ]


def channel_link(guild_id: str, channel_id: str) -> str:
    """The link that opens a channel in Discord."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


class DiscordRoom:
    """Voice channels and scheduled events for one client (the :class:`DiscordChat`'s)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _find(self, guild_id: str, name: str) -> str | None:
        channels = await _call(
            lambda: self.client.http.get_all_guild_channels(int(guild_id)), "View Channels"
        )
        for channel in channels:
            if channel.get("type") == GUILD_VOICE and channel.get("name") == name:
                return str(channel["id"])
        return None

    async def open_voice(self, guild_id: str, request: VoiceRequest) -> VoiceRoom:
        """The pair's channel: the one already made under this name, else a new one."""
        name = strip_controls(request.name)[:CHANNEL_NAME]
        found = await self._find(guild_id, name)
        if found is None:
            assert self.client.user is not None  # logged in before anything is delivered
            bot_id = self.client.user.id
            try:
                roles = await self.client.http.get_roles(int(guild_id))
                admins = admin_roles(guild_id, [dict(role) for role in roles])
            except discord.HTTPException:  # the channel is still the pair's; admins can't see it
                admins = []
            made = await _call(
                lambda: self.client.http.create_channel(
                    int(guild_id),
                    discord.ChannelType.voice.value,
                    name=name,
                    parent_id=request.category_ref,
                    permission_overwrites=overwrites(guild_id, request, bot_id, admins),
                    reason="PeerLoop: a session's private voice channel",
                ),
                "Manage Channels",
            )
            found = str(made["id"])
        return VoiceRoom(found, channel_link(guild_id, found))

    async def close_voice(self, guild_id: str, ref: str | None, name: str) -> None:
        """Remove the channel (by id, else by name); one already gone is fine."""
        target = ref or await self._find(guild_id, strip_controls(name)[:CHANNEL_NAME])
        if target is None:
            return
        try:
            await _call(
                lambda: self.client.http.delete_channel(
                    int(target), reason="PeerLoop: the session is over"
                ),
                "Manage Channels",
            )
        except RoomFailed as failed:
            if "Discord 404" not in str(failed):
                raise

    async def put_event(self, guild_id: str, event: SessionEvent, ref: str | None) -> str:
        """Create the event, or move it (time, and into the voice channel once there is one)."""
        body: dict[str, Any] = {
            "name": strip_controls(event.name)[:EVENT_NAME],
            "description": strip_controls(event.description)[:EVENT_TEXT],
            "privacy_level": GUILD_ONLY,
            "scheduled_start_time": _iso(event.start),
            "scheduled_end_time": _iso(event.end),
        }
        if event.voice_ref is not None:
            body.update(entity_type=EVENT_VOICE, channel_id=event.voice_ref, entity_metadata=None)
        else:
            body.update(
                entity_type=EVENT_EXTERNAL,
                channel_id=None,
                entity_metadata={"location": event.location[:LOCATION]},
            )
        http = self.client.http
        if ref is None:  # made already, by a run that died before recording it?
            ref = await self._find_event(guild_id, event.marker)
        if ref is None:
            if body["channel_id"] is None:
                del body["channel_id"]  # an external event is made without one
            made = await _call(
                lambda: http.create_guild_scheduled_event(int(guild_id), **body), "Create Events"
            )
            return str(made["id"])
        await _call(
            lambda: http.edit_scheduled_event(int(guild_id), int(ref), **body), "Create Events"
        )
        return ref

    async def _find_event(self, guild_id: str, marker: str) -> str | None:
        events = await _call(
            lambda: self.client.http.get_scheduled_events(int(guild_id), False), "Create Events"
        )
        me = self.client.user.id if self.client.user is not None else None
        for made in events:
            if marker in (made.get("description") or "") and str(made.get("creator_id")) == str(me):
                return str(made["id"])
        return None

    async def cancel_event(self, guild_id: str, ref: str | None, marker: str | None = None) -> None:
        """Delete the event (by id, else the one PeerLoop made whose description carries
        ``marker``); one already gone is fine."""
        target = ref or (await self._find_event(guild_id, marker) if marker else None)
        if target is None:
            return
        try:
            await _call(
                lambda: self.client.http.delete_scheduled_event(int(guild_id), int(target)),
                "Create Events",
            )
        except RoomFailed as failed:
            if "Discord 404" not in str(failed):
                raise


def _iso(moment: datetime) -> str:
    return moment.isoformat()
