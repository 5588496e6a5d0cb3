"""What the Discord face's command groups share with the face that registers them: the
refusals they all give, and the face's interface they call (:class:`GroupFace`, and
:class:`FormFace` for the form screens), so a group module (``packs``, ``forms``) depends on
this small module, never on ``mock`` that imports it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import discord

from bot.app import App
from bot.core.messages import FormValues, OutboundMessage
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


class FormFace(GroupFace, Protocol):
    """The part of the Discord face the form screens (``bot.cogs.forms``) call."""

    async def defer(self, interaction: discord.Interaction) -> None:
        """Acknowledge privately (a thinking reply), unless answered already."""
        ...

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """A private error message."""
        ...

    async def act(
        self, interaction: discord.Interaction, action_id: str, values: FormValues
    ) -> OutboundMessage:
        """The router's answer to an action id for the member acting."""
        ...
