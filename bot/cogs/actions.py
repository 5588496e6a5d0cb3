"""Every PeerLoop button and select on Discord, after a restart too: one persistent
``DynamicItem`` whose template is the core's action-id pattern. Its state is the custom id;
the face (``client.face``) hands it to the router, which finds the verb's handler."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.actions import PATTERN

__all__ = ["ActionButton", "register"]


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PATTERN):
    """Every PeerLoop button and select, after a restart too: the state is the custom_id."""

    def __init__(self, action_id: str) -> None:
        super().__init__(discord.ui.Button(label="PeerLoop", custom_id=action_id))
        self.action_id = action_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        """The item for a pressed id that matches the pattern."""
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the face (which acknowledges first)."""
        face = getattr(interaction.client, "face", None)
        if face is not None:
            await face.run_action(interaction, self.action_id)


def register(client: discord.Client) -> None:
    """Wire the persistent action handler on ``client``."""
    client.add_dynamic_items(ActionButton)
