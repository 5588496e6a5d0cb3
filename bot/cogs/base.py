"""What the Discord face's command groups share with the face that registers them: the
refusals they all give, and the face's interface they call (:class:`GroupFace`), so a group
module (``packs``) depends on this small module, never on ``mock`` that imports it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import discord

from bot.app import App
from bot.core.messages import OutboundMessage
from bot.core.services.actor import Actor

NOT_IN_SERVER = "Use PeerLoop's commands in your server, not in direct messages."


class GroupFace(Protocol):
    """The part of the Discord face (``bot.cogs.mock.MockFace``) a command group calls."""

    @property
    def app(self) -> App:
        """The application the face serves."""
        ...

    async def actor(self, interaction: discord.Interaction) -> Actor | None:
        """The member acting, in the server the interaction came from (None in a DM)."""
        ...

    async def reply(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """A private reply (the interaction is answered or deferred already)."""
        ...

    async def guard(
        self,
        interaction: discord.Interaction,
        work: Callable[[], Awaitable[None]],
        where: str = "a Discord interaction",
        *,
        defer: bool = False,
    ) -> None:
        """Acknowledge, then run ``work`` inside the face's error boundary."""
        ...
