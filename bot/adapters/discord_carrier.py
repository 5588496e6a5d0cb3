"""Keeping Discord messages true: the message whose button was pressed is edited so it shows
no stale buttons (the core's :class:`~bot.core.messages.Carrier`), and the member's likely zones
are read from the interaction (Discord says nothing of zones, only the member's locale)."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.utils import escape_markdown

from bot.adapters.discord_render import BUTTONS_PER_ROW, ROWS, action_button, render_text
from bot.core.messages import Carrier

log = logging.getLogger(__name__)

#: Discord's limit for a message's content.
CONTENT_MAX = 2000


def zone_hints(interaction: discord.Interaction) -> tuple[str, ...]:
    """The member's client locale, then the server's (``en-US``, ``de``): the profile form
    offers their usual zones first."""
    hints = [str(interaction.locale.value)] if interaction.locale else []
    if interaction.guild_locale is not None:
        hints.append(str(interaction.guild_locale.value))
    return tuple(dict.fromkeys(hints))


def carrier_edit(carrier: Carrier, content: str | None, *, private: bool = False) -> dict[str, Any]:
    """``Message.edit`` keyword arguments: the note under the old content, only the kept
    buttons (none: no components at all; a ``private`` message keeps the presser's own), no
    pings (an edit never notifies anyway)."""
    note = render_text(carrier.note, carrier.mentions)
    text = f"{content}\n{note}" if content else note
    view = discord.ui.View(timeout=None)
    for i, button in enumerate(carrier.kept(private=private)[: BUTTONS_PER_ROW * ROWS]):
        view.add_item(action_button(button, i // BUTTONS_PER_ROW))
    view.stop()  # nothing is kept in memory: the persistent handler answers these ids
    return {
        "content": text[-CONTENT_MAX:] if len(text) > CONTENT_MAX else text,
        "view": view,
        "allowed_mentions": discord.AllowedMentions.none(),
    }


def pressed_private_message(interaction: discord.Interaction) -> bool:
    """A button or select pressed on a private (ephemeral) message, say a ``/mock upcoming``
    list: only the press's own acknowledgement can edit that message afterwards."""
    message = interaction.message
    return (
        interaction.type is discord.InteractionType.component
        and message is not None
        and message.flags.ephemeral
    )


async def edit_carrier(interaction: discord.Interaction, carrier: Carrier) -> bool:
    """Edit the message that carried the pressed button. A message the bot posted (a direct
    message, a pair thread, a channel) is edited through the channel; a private one through
    the press's own token, which may edit it because the press was acknowledged as an update
    of that message (a deferred update; any other acknowledgement leaves it as it is, and its
    buttons answer with the current state). Returns whether it was edited; a failure is
    logged, never raised."""
    message = interaction.message
    if message is None:
        return False
    try:
        if not message.flags.ephemeral:
            await message.edit(**carrier_edit(carrier, message.content))
        elif interaction.response.type is discord.InteractionResponseType.deferred_message_update:
            await interaction.edit_original_response(
                **carrier_edit(carrier, message.content, private=True)
            )
        else:
            return False
    except discord.HTTPException as exc:
        log.warning("Discord: the pressed message could not be edited (%s)", exc.status)
        return False
    return True


async def mark_sent(interaction: discord.Interaction, title: str) -> None:
    """The form screen whose button sent the form (the press was acknowledged as a deferred
    update): it now says the form was sent, with no buttons left."""
    try:
        await interaction.edit_original_response(
            content=f"✓ Sent: **{escape_markdown(title)}**.",
            view=None,
            embed=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as exc:
        log.warning("Discord: the sent form's screen could not be edited (%s)", exc.status)
