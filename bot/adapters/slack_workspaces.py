"""The Slack ChatPort when PeerLoop is installed in many workspaces through OAuth.

Each message goes out with the bot token of the member's workspace (the newest
installation for that team id); the sending itself is :class:`SlackChat`'s. A workspace
with no installation (never installed, or uninstalled since) cannot be messaged: that is
a :class:`TemporaryDeliveryError`, so the outbox retries a few times (a reinstall heals it)
and then gives up with the reason logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.adapters.slack_chat import SlackChat, make_client
from bot.core.messages import OutboundMessage
from bot.core.models import Community, Member, Platform
from bot.core.ports import TemporaryDeliveryError
from bot.core.ports.room import WithoutVoice

#: team id -> that workspace's bot token (None when PeerLoop is not installed there)
TokenLookup = Callable[[str], Awaitable[str | None]]
#: community id -> the community (to learn a member's team id)
CommunityLookup = Callable[[str], Awaitable[Community | None]]


class WorkspaceSlackChat(WithoutVoice):
    """Implements :class:`bot.core.ports.ChatPort` across installed workspaces."""

    platform = Platform.SLACK

    def __init__(
        self, base_url: str, token_for_team: TokenLookup, community: CommunityLookup
    ) -> None:
        self.base_url = base_url
        self._token_for_team = token_for_team
        self._community = community
        self._chats: dict[str, SlackChat] = {}

    async def for_team(self, team_id: str) -> SlackChat:
        token = await self._token_for_team(team_id)
        if token is None:
            raise TemporaryDeliveryError(f"PeerLoop is not installed in Slack workspace {team_id}")
        chat = self._chats.get(token)
        if chat is None:
            if len(self._chats) > 1000:  # tokens of reinstalled workspaces: start afresh
                self._chats.clear()
            chat = self._chats[token] = SlackChat(make_client(token, self.base_url))
        return chat

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        community = await self._community(member.community_id)
        if community is None:
            raise TemporaryDeliveryError(f"community {member.community_id} not found")
        return await (await self.for_team(community.external_id)).send_direct(member, message)

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        return await (await self.for_team(community.external_id)).open_pair_space(
            community, members, title
        )

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        return await (await self.for_team(community.external_id)).post(
            community, space_ref, message
        )

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        await (await self.for_team(community.external_id)).edit(community, message_ref, message)
