"""The fake Discord's guild channels and scheduled events (mixed into ``FakeDiscord``):
``POST /guilds/{id}/channels``, ``DELETE /channels/{id}``, and ``PATCH``/``DELETE`` of
``/guilds/{id}/scheduled-events/{id}`` (``POST`` is the fake's own).

As on Discord: creating a channel needs Manage Channels, and its permission overwrites may
allow or deny only what the bot holds in the guild (else 403, 50013 Missing Permissions);
events need Create Events or Manage Events. :meth:`can_see` and :meth:`can_join` compute a
member's permission in a channel from the guild's roles and the channel's overwrites.

What server admins and members do under the bot, with the events and errors Discord gives
the bot afterwards: :meth:`remove_channel` (a channel or thread deleted: CHANNEL_DELETE or
THREAD_DELETE, then 404 10003 Unknown Channel), :meth:`deny_bot` (a channel's overwrite taken
from the bot: CHANNEL_UPDATE, then 403 50001 Missing Access without View Channel, 50013
Missing Permissions without the right to post or open threads), :meth:`remove_member` (a
member leaves: 10007 Unknown Member, and 50007 on a DM once they share no server with the
bot), :meth:`remove_bot` and :meth:`add_bot` (the bot kicked, GUILD_DELETE without
``unavailable``, then 50001 on the guild's routes; invited again, GUILD_CREATE).
"""

from __future__ import annotations

from typing import Any

MANAGE_CHANNELS = 1 << 4
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
CONNECT = 1 << 20
SPEAK = 1 << 21
MANAGE_EVENTS = 1 << 33
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44
MISSING_PERMISSIONS = (403, {"message": "Missing Permissions", "code": 50013})
MISSING_ACCESS = (403, {"message": "Missing Access", "code": 50001})
THREADS = (10, 11, 12)


class GuildChannelsMixin:
    """REST handlers and helpers for guild channels and scheduled events."""

    guilds: dict[int, Any]
    channels: dict[int, dict[str, Any]]
    scheduled_events: dict[int, list[dict[str, Any]]]
    bot: Any

    def channel_routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("POST", "/guilds/{guild_id}/channels", self._create_guild_channel),
            ("DELETE", "/channels/{channel_id}", self._delete_channel),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_scheduled_events),
            (
                "PATCH",
                "/guilds/{guild_id}/scheduled-events/{event_id}",
                self._patch_scheduled_event,
            ),
            (
                "DELETE",
                "/guilds/{guild_id}/scheduled-events/{event_id}",
                self._delete_scheduled_event,
            ),
        ]

    # -- helpers for tests -----------------------------------------------------------------

    def set_bot_permissions(self, guild: Any, permissions: int) -> None:
        """Give the bot's role exactly ``permissions`` in ``guild``."""
        for role in guild.roles:
            if role["managed"]:
                role["permissions"] = str(permissions)

    def bot_permissions(self, guild: Any) -> int:
        return int(guild.permissions_of(self.bot.id))

    def permissions_in(self, channel_id: int | str, user_id: int) -> int:
        """A member's permissions in a channel: guild roles, then @everyone's overwrite, the
        roles' overwrites, then the member's own (Discord's order)."""
        channel = self.channels[int(channel_id)]
        guild = self.guilds[int(channel["guild_id"])]
        base = int(guild.permissions_of(user_id))
        if base & ADMINISTRATOR or user_id == guild.owner_id:
            return base
        overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}
        everyone = overwrites.get(str(guild.id))
        if everyone:
            base = (base & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for role_id in guild.member_roles.get(user_id, []):
            if (o := overwrites.get(str(role_id))) is not None:
                allow, deny = allow | int(o["allow"]), deny | int(o["deny"])
        base = (base & ~deny) | allow
        if (mine := overwrites.get(str(user_id))) is not None and mine["type"] == 1:
            base = (base & ~int(mine["deny"])) | int(mine["allow"])
        return base

    def can_see(self, channel_id: int | str, user_id: int) -> bool:
        return bool(self.permissions_in(channel_id, user_id) & VIEW_CHANNEL)

    def can_join(self, channel_id: int | str, user_id: int) -> bool:
        perms = self.permissions_in(channel_id, user_id)
        return bool(perms & VIEW_CHANNEL and perms & CONNECT and perms & SPEAK)

    def voice_channels(self, guild: Any) -> list[dict[str, Any]]:
        return [c for c in guild.channels if c["type"] == 2]

    # -- what admins and members do under the bot ----------------------------------------------

    #: Users who share no server with the bot any more (a DM to them fails with 50007).
    departed: set[int]
    #: The bot's roles in the servers it was removed from (given back when it is added again).
    removed_bot_roles: dict[int, list[int]]

    async def add_text_channel(self, guild: Any, name: str) -> dict[str, Any]:
        """An admin adds a text channel (after the guild's others): CHANNEL_CREATE."""
        cid = self.snowflake()  # type: ignore[attr-defined]
        channel = {
            **guild.text_channel,
            "id": str(cid),
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
        }
        self.channels[cid] = channel
        guild.channels.append(channel)
        await self._emit_guild_event("CHANNEL_CREATE", channel)
        return channel

    async def remove_channel(self, channel_id: int | str) -> None:
        """An admin deletes a channel or thread (its messages go with it)."""
        channel = self.channels.pop(int(channel_id))
        guild = self.guilds[int(channel["guild_id"])]
        guild.channels.remove(channel)
        self.messages.pop(int(channel_id), None)  # type: ignore[attr-defined]
        if channel["type"] in THREADS:
            payload = {k: channel[k] for k in ("id", "guild_id", "parent_id", "type")}
            await self._emit_guild_event("THREAD_DELETE", payload)
        else:
            await self._emit_guild_event("CHANNEL_DELETE", channel)

    async def deny_bot(self, channel_id: int | str, permissions: int) -> None:
        """An admin denies the bot ``permissions`` in a channel (a member overwrite)."""
        channel = self.channels[int(channel_id)]
        overwrites = [
            o for o in channel.get("permission_overwrites") or [] if o["id"] != str(self.bot.id)
        ]
        overwrites.append(
            {"id": str(self.bot.id), "type": 1, "allow": "0", "deny": str(permissions)}
        )
        channel["permission_overwrites"] = overwrites
        await self._emit_guild_event("CHANNEL_UPDATE", channel)

    def remove_member(self, guild: Any, user: Any) -> None:
        """A member leaves the server (without the privileged members intent the bot gets no
        event for it)."""
        user_id = self.user(user).id  # type: ignore[attr-defined]
        guild.member_roles.pop(user_id, None)
        self._recount_departed(user_id)

    async def remove_bot(self, guild: Any) -> None:
        """The bot is removed from the server: GUILD_DELETE (no ``unavailable``: it is gone)."""
        self.removed_bot_roles[guild.id] = guild.member_roles.pop(self.bot.id)
        self._recount_departed()
        session = self.session  # type: ignore[attr-defined]
        if session is not None and session.intents & 1:
            await self._emit("GUILD_DELETE", {"id": str(guild.id)})  # type: ignore[attr-defined]

    async def add_bot(self, guild: Any) -> None:
        """The bot is invited into the server again: GUILD_CREATE."""
        guild.member_roles[self.bot.id] = self.removed_bot_roles.pop(guild.id)
        self._recount_departed()
        session = self.session  # type: ignore[attr-defined]
        if session is not None and session.intents & 1:
            await self._emit(  # type: ignore[attr-defined]
                "GUILD_CREATE",
                self._guild_create_payload(guild),  # type: ignore[attr-defined]
            )

    def bot_in(self, guild_id: int | str) -> bool:
        guild = self.guilds.get(int(guild_id))
        return guild is not None and self.bot.id in guild.member_roles

    def _recount_departed(self, *left: int) -> None:
        shared: set[int] = set()
        known: set[int] = set(self.departed) | set(left)
        for guild in self.guilds.values():
            known |= set(guild.member_roles)
            if self.bot.id in guild.member_roles:
                shared |= set(guild.member_roles)
        self.departed = known - shared

    def bot_refusal(
        self, channel_id: int | str, *, post: bool = False, thread: bool = False
    ) -> tuple[int, dict[str, Any]] | None:
        """What Discord answers the bot for a guild channel it may not use: 50001 Missing Access
        (not in the guild, or no View Channel), 50013 Missing Permissions (it may see the
        channel but not post, or not open a private thread, there); None: allowed."""
        channel = self.channels[int(channel_id)]
        if "guild_id" not in channel:
            return None
        if not self.bot_in(channel["guild_id"]):
            return MISSING_ACCESS
        where = channel["parent_id"] if channel["type"] in THREADS else channel["id"]
        perms = self.permissions_in(where, self.bot.id)
        if not perms & (VIEW_CHANNEL | ADMINISTRATOR):
            return MISSING_ACCESS
        if perms & ADMINISTRATOR:
            return None
        if post and not perms & (
            SEND_MESSAGES_IN_THREADS if channel["type"] in THREADS else SEND_MESSAGES
        ):
            return MISSING_PERMISSIONS
        if thread and not perms & CREATE_PRIVATE_THREADS:
            return MISSING_PERMISSIONS
        return None

    # -- handlers ----------------------------------------------------------------------------

    async def _create_guild_channel(self, rec: Any, guild_id: str) -> Any:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return self._unknown("Guild")  # type: ignore[attr-defined]
        body = rec.json or {}
        held = self.bot_permissions(guild)
        if not held & (MANAGE_CHANNELS | ADMINISTRATOR):
            return MISSING_PERMISSIONS
        overwrites = []
        for o in body.get("permission_overwrites") or []:
            allow, deny = int(o.get("allow") or 0), int(o.get("deny") or 0)
            if not held & ADMINISTRATOR and (allow | deny) & ~held:
                return MISSING_PERMISSIONS  # a bot grants or denies only what it holds
            overwrites.append(
                {"id": str(o["id"]), "type": int(o["type"]), "allow": str(allow), "deny": str(deny)}
            )
        parent = body.get("parent_id")
        if parent is not None:
            found = self.channels.get(int(parent))
            if found is None or found["type"] != 4 or found["guild_id"] != guild_id:
                return 400, {"message": "Invalid Form Body", "code": 50035}
        if not body.get("name"):
            return 400, {"message": "Invalid Form Body", "code": 50035}
        cid = self.snowflake()  # type: ignore[attr-defined]
        channel = {
            "id": str(cid),
            "type": int(body.get("type") or 0),
            "guild_id": guild_id,
            "name": body["name"],
            "position": len(guild.channels),
            "permission_overwrites": overwrites,
            "parent_id": str(parent) if parent is not None else None,
            "nsfw": False,
            "flags": 0,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "bitrate": 64000,
            "user_limit": 0,
            "rtc_region": None,
        }
        self.channels[cid] = channel
        guild.channels.append(channel)
        await self._emit_guild_event("CHANNEL_CREATE", channel)
        return 201, channel

    async def _delete_channel(self, rec: Any, channel_id: str) -> Any:
        channel = self.channels.get(int(channel_id))
        if channel is None or "guild_id" not in channel:
            return self._unknown("Channel")  # type: ignore[attr-defined]
        guild = self.guilds[int(channel["guild_id"])]
        if not self.bot_permissions(guild) & (MANAGE_CHANNELS | ADMINISTRATOR):
            return MISSING_PERMISSIONS
        del self.channels[int(channel_id)]
        guild.channels.remove(channel)
        await self._emit_guild_event("CHANNEL_DELETE", channel)
        return channel

    def _event(self, guild_id: str, event_id: str) -> dict[str, Any] | None:
        events = self.scheduled_events.get(int(guild_id), [])
        return next((e for e in events if e["id"] == event_id), None)

    def may_manage_events(self, guild_id: str) -> bool:
        guild = self.guilds.get(int(guild_id))
        return guild is not None and bool(
            self.bot_permissions(guild) & (CREATE_EVENTS | MANAGE_EVENTS | ADMINISTRATOR)
        )

    async def _list_scheduled_events(self, rec: Any, guild_id: str) -> Any:
        if int(guild_id) not in self.guilds:
            return self._unknown("Guild")  # type: ignore[attr-defined]
        return list(self.scheduled_events.get(int(guild_id), []))

    async def _patch_scheduled_event(self, rec: Any, guild_id: str, event_id: str) -> Any:
        event = self._event(guild_id, event_id)
        if event is None:
            return 404, {"message": "Unknown Guild Scheduled Event", "code": 10070}
        if not self.may_manage_events(guild_id):
            return MISSING_PERMISSIONS
        body = rec.json or {}
        if body.get("entity_type") == 2:
            channel = self.channels.get(int(body.get("channel_id") or 0))
            if channel is None or channel["type"] != 2:
                return 400, {"message": "Invalid Form Body", "code": 50035}
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "privacy_level",
            "entity_type",
            "channel_id",
            "entity_metadata",
            "status",
        ):
            if key in body:
                event[key] = body[key]
        return event

    async def _delete_scheduled_event(self, rec: Any, guild_id: str, event_id: str) -> Any:
        event = self._event(guild_id, event_id)
        if event is None:
            return 404, {"message": "Unknown Guild Scheduled Event", "code": 10070}
        if not self.may_manage_events(guild_id):
            return MISSING_PERMISSIONS
        self.scheduled_events[int(guild_id)].remove(event)
        return 204, None

    async def _emit_guild_event(self, name: str, channel: dict[str, Any]) -> None:
        session = self.session  # type: ignore[attr-defined]
        if session is not None and session.intents & 1:  # GUILDS
            await self._emit(name, channel)  # type: ignore[attr-defined]
