"""The Discord face of ``/mock`` and ``/mockadmin`` (discord.py ``app_commands``).

Thin by design: acknowledge first, resolve the actor, hand the subcommand or the
button's action id to the :class:`~bot.core.commands.CommandRouter`, render the reply
privately, then let the app deliver whatever the call queued (``App.tick``).

Buttons and selects carry the core action id as their ``custom_id``; the persistent
:class:`ActionButton` (a ``DynamicItem`` whose template is the core pattern) answers
them, so they keep working after a restart. Anything else that looks like ours, such
as an edited or stale id, gets a short private refusal instead of a failed interaction.

Forms of several screens are :mod:`bot.cogs.forms`' (stored drafts, their ``plform:``
presses); this face hands them its replies' forms and those presses. Every handler runs
through :meth:`MockFace.guard`, the one error boundary (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord_carrier import edit_carrier, pressed_private_message, zone_hints
from bot.adapters.discord_forms import is_form_id
from bot.adapters.discord_render import render_message
from bot.app import App
from bot.cogs import actions, forms, tree
from bot.cogs.actions import ActionButton
from bot.cogs.base import NOT_IN_SERVER
from bot.cogs.packs import IMPORT_PATH, import_pack
from bot.core.actions import PATTERN
from bot.core.errors import PeerLoopError
from bot.core.incidents import incident_message, report_incident
from bot.core.messages import FormValues, OutboundMessage, Tone, error_message
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.surface.commands import Command

__all__ = ["ActionButton", "MockFace", "PeerLoopClient", "setup"]

log = logging.getLogger(__name__)

_ACTION = re.compile(rf"^{PATTERN}$")
OUTDATED_COMMAND = "That command is out of date or its options could not be read. Run it again."
#: Discord fails an interaction not answered within 3 s: a handler that answers directly (a
#: form screen, which may be a modal) is deferred by the boundary if it has not answered by then.
ACK_WITHIN = 2.5
#: Discord's answer to an interaction acknowledged too late (more than 3 s after it was made,
#: e.g. delivered late after the gateway resumed), and to a followup after its token expired
#: (15 minutes).
UNKNOWN_INTERACTION = 10062
UNKNOWN_WEBHOOK = 10015

#: A face's own handler for a declared command given a file (the pack import downloads it).
Upload = Callable[["MockFace", discord.Interaction, Mapping[str, Any]], Awaitable[None]]


class PeerLoopClient(discord.Client):
    """A ``discord.Client`` that knows its :class:`MockFace` (for the persistent buttons)."""

    face: MockFace

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.tree: app_commands.CommandTree[PeerLoopClient] = app_commands.CommandTree(self)


class MockFace:
    """Turns interactions into router calls and replies, all through one error boundary."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ack_within = ACK_WITHIN
        #: Declared commands whose file option this face handles itself.
        self.uploads: dict[tuple[str, ...], Upload] = {IMPORT_PATH: import_pack}
        #: The form screens (stored drafts) this face's replies open.
        self.screens = forms.register(self)
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def wait_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until no interaction is being handled (tests, and a clean shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- actors ---------------------------------------------------------------------------

    async def actor(self, interaction: discord.Interaction) -> Actor | None:
        """The member acting, in the server the interaction came from (None in a DM)."""
        if interaction.guild_id is None:
            return None
        guild = interaction.guild
        actor = await self.app.actors.resolve(
            Platform.DISCORD,
            str(interaction.guild_id),
            guild.name if guild is not None and guild.name else str(interaction.guild_id),
            str(interaction.user.id),
            interaction.user.display_name,
            platform_admin=bool(interaction.permissions.manage_guild),
        )
        return replace(actor, zone_hints=zone_hints(interaction))  # onboarding: the likely zones

    async def _direct_actors(self, interaction: discord.Interaction) -> list[Actor]:
        """A button in a DM carries no server: the member's PeerLoop servers, known ones only."""
        return await self.app.actors.resolve_direct(Platform.DISCORD, str(interaction.user.id))

    # -- replies --------------------------------------------------------------------------

    async def defer(self, interaction: discord.Interaction) -> None:
        """Acknowledge privately (a thinking reply), unless answered already. A press on a
        private message is acknowledged as an update of that message instead, so the answer
        can still edit it (its stale buttons go, as on a message the bot posted); the reply
        comes as a private followup either way."""
        if interaction.response.is_done():
            return
        if pressed_private_message(interaction):
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)

    async def reply(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """A private reply (the interaction is answered or deferred already)."""
        if message.form is not None:
            await self.screens.open(interaction, message)
            return
        await self._followup(interaction, message)

    async def say(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """A private answer, whether or not the interaction was answered already."""
        if interaction.response.is_done():
            await self._followup(interaction, message)
        else:
            kwargs = render_message(message).send_kwargs()
            await interaction.response.send_message(ephemeral=True, **kwargs)

    async def _followup(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """A private followup; once the interaction's token has expired (the work outlasted
        Discord's 15 minutes), the answer goes to the member's direct messages instead."""
        try:
            await interaction.followup.send(ephemeral=True, **render_message(message).send_kwargs())
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_WEBHOOK:
                raise
            log.warning("a Discord interaction's token expired before its answer; sent by DM")
            try:
                await interaction.user.send(**render_message(message).send_kwargs())
            except discord.HTTPException as dm:
                log.warning("the late answer could not be sent by DM either (%s)", dm.code)

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """A private error message."""
        await self.say(interaction, error_message(text))

    # -- the error boundary ---------------------------------------------------------------

    async def guard(
        self,
        interaction: discord.Interaction,
        work: Callable[[], Awaitable[None]],
        where: str = "a Discord interaction",
        *,
        defer: bool = False,
    ) -> None:
        """Every interaction handler runs here: acknowledge first (``defer``; a form screen
        that may open a modal answers directly instead), then the work. A refusal of the
        core (:class:`PeerLoopError`) becomes a private message; anything else is logged
        once with an incident id (never its message, which may quote the member) and the
        member privately reads the incident reply. Queued messages are delivered after."""
        self._busy += 1
        self._idle.clear()
        try:
            await self._guarded(interaction, work, where, defer)
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def _guarded(
        self,
        interaction: discord.Interaction,
        work: Callable[[], Awaitable[None]],
        where: str,
        defer: bool,
    ) -> None:
        watchdog = None if defer else asyncio.create_task(self._ack_late(interaction))
        try:
            if defer:
                try:
                    await self.defer(interaction)
                except discord.NotFound as exc:
                    if exc.code != UNKNOWN_INTERACTION:
                        raise
                    # Delivered too late to be answered (the member's app already said it
                    # failed): nothing is done, so nothing happens without them knowing.
                    log.warning("a Discord interaction came too late to be answered; not run")
                    return
            await work()
        except Exception as exc:
            await self._answer_anyway(interaction, self._failure_message(exc, where))
        finally:
            if watchdog is not None:
                watchdog.cancel()
        try:
            await self.app.tick()
        except Exception as exc:
            report_incident(log, exc, "delivering queued messages after a Discord interaction")

    async def _ack_late(self, interaction: discord.Interaction) -> None:
        """Defer an interaction whose handler has not answered in time (it then answers by followup)."""
        await asyncio.sleep(self.ack_within)
        if not interaction.response.is_done():
            try:
                await self.defer(interaction)
            except discord.HTTPException:
                log.warning("could not defer a slow Discord interaction")

    @staticmethod
    def _failure_message(exc: Exception, where: str) -> OutboundMessage:
        """A core refusal as a private message; anything else, or a refusal that cannot be
        shown (its text breaks the message limits), as the incident reply."""
        try:
            if isinstance(exc, PeerLoopError):
                return error_message(exc.message)
        except Exception as unshowable:
            exc = unshowable
        return incident_message(report_incident(log, exc, where))

    async def _answer_anyway(
        self, interaction: discord.Interaction, message: OutboundMessage
    ) -> None:
        try:
            await self.say(interaction, message)
        except Exception:  # the last resort: the failure was reported already
            log.warning("could not answer a Discord interaction after a failure")

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """What goes wrong before a command's handler runs (an unknown or outdated command,
        an option discord.py cannot read): answered too, privately."""

        async def work() -> None:
            if isinstance(error, app_commands.CommandInvokeError):
                raise error.original
            if isinstance(error, app_commands.NoPrivateMessage):
                await self.refuse(interaction, NOT_IN_SERVER)
                return
            if isinstance(
                error,
                app_commands.TransformerError
                | app_commands.CommandSignatureMismatch
                | app_commands.CommandNotFound,
            ):
                await self.refuse(interaction, OUTDATED_COMMAND)
                return
            raise error

        await self.guard(interaction, work, "a Discord command before its handler")

    # -- commands and actions -------------------------------------------------------------

    async def run_declared(
        self, interaction: discord.Interaction, command: Command, values: Mapping[str, Any]
    ) -> None:
        """A declared command (``/mock …``, ``/mockadmin …``) with the values Discord gave:
        the router checks the admin right and parses them once into the command's typed
        arguments. A file goes to the face's own handler for that command (a pack import)."""
        upload = self.uploads.get(command.path)
        if upload is not None and any(isinstance(v, discord.Attachment) for v in values.values()):
            await upload(self, interaction, values)
            return

        async def work() -> None:
            actor = await self.actor(interaction)
            if actor is None:
                await self.reply(interaction, error_message(NOT_IN_SERVER))
                return
            result = await self.app.router.run_path(actor, command.path, values)
            if (
                not result.ephemeral and command.admin
            ):  # a message for the channel (the sign-up message)
                await self.reply(
                    interaction, OutboundMessage(text="Posted in this channel.", tone=Tone.SUCCESS)
                )
                await interaction.followup.send(
                    ephemeral=False, **render_message(result).send_kwargs()
                )
                return
            await self.reply(interaction, result)

        await self.guard(interaction, work, command.usage, defer=True)

    async def find_tracks(self, guild_id: int) -> dict[str, str]:
        """The community's own tracks (for autocomplete)."""
        community = await self.app.actors.find_community(Platform.DISCORD, str(guild_id))
        return dict(community.settings.extra_tracks) if community is not None else {}

    def loop_templates(self, current: str) -> list[tuple[str, str]]:
        """(label, id) of the loop templates matching ``current`` (for autocomplete)."""
        return self.app.loops.template_choices(current)

    async def run_action(self, interaction: discord.Interaction, action_id: str) -> None:
        """A button or select press: acknowledged, then its action id goes to the router."""

        async def work() -> None:
            # what a select picked, read inside the boundary: ``values`` that are no list of
            # text (which Discord never sends) count as nothing picked
            data: Mapping[str, Any] = interaction.data or {}
            raw = data.get("values")
            picked = tuple(v for v in raw if isinstance(v, str)) if isinstance(raw, list) else ()
            values: FormValues = {"values": picked, "value": picked[0]} if picked else {}
            await self._act_and_reply(interaction, action_id, values)

        await self.guard(interaction, work, "a Discord button or select", defer=True)

    async def _act_and_reply(
        self, interaction: discord.Interaction, action_id: str, values: FormValues
    ) -> None:
        result = await self.act(interaction, action_id, values)
        if result.carrier is not None:  # the pressed message, without its stale buttons
            await edit_carrier(interaction, result.carrier)
        await self.reply(interaction, result)

    async def act(
        self, interaction: discord.Interaction, action_id: str, values: FormValues
    ) -> OutboundMessage:
        """The router's answer to an action id, for the member in this server, or in a DM for
        whichever of their servers accepts it (ids are unique)."""
        actor = await self.actor(interaction)
        if actor is not None:
            return await self.app.router.act(actor, action_id, values)
        actors = await self._direct_actors(interaction)
        if not actors:
            return error_message("Run `/mock profile` in your server first.")
        result = error_message(NOT_IN_SERVER)
        for candidate in actors:  # ids are unique: only the right server accepts the action
            result = await self.app.router.act(candidate, action_id, values)
            if result.tone is not Tone.ERROR:
                break
        return result

    # -- servers joined and left ---------------------------------------------------------

    async def server_presence(self, guild_id: int, *, absent: bool) -> None:
        """The bot was removed from a server (GUILD_DELETE without ``unavailable``): nothing is
        paired or sent there until it is invited again (GUILD_CREATE), or is back after a
        restart. Never raises (an event handler)."""
        try:
            await self.app.actors.mark_absent(Platform.DISCORD, str(guild_id), absent=absent)
        except Exception as exc:
            report_incident(log, exc, "recording a server the bot joined or left")

    # -- interactions nobody else answers -----------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Form screens, and stale or edited ids (which the persistent button never sees)."""
        data: Mapping[str, Any] = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if interaction.type not in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            return
        if is_form_id(custom_id):
            await self.guard(
                interaction,
                lambda: self.screens.press(interaction, custom_id),
                "a Discord form screen",
            )
            return
        if interaction.type is discord.InteractionType.modal_submit or not _handled_by_dynamic_item(
            interaction, custom_id
        ):
            # Malformed ids are refused by the router; well-formed ones are checked by the service.
            await self.run_action(interaction, custom_id)


def _handled_by_dynamic_item(interaction: discord.Interaction, custom_id: str) -> bool:
    """Mirrors discord.py: a dynamic item runs when the id matches and the message has it."""
    if not _ACTION.match(custom_id) or interaction.message is None:
        return False
    data: Mapping[str, Any] = interaction.data or {}
    component_type = data.get("component_type")
    view = discord.ui.View.from_message(interaction.message, timeout=None)
    return any(
        getattr(item, "custom_id", None) == custom_id and item.type.value == component_type
        for item in view.walk_children()
    )


def setup(client: PeerLoopClient, app: App) -> MockFace:
    """Add ``/mock`` and ``/mockadmin``, the persistent action handler and the fallback listener."""
    face = MockFace(app)
    client.face = face
    tree.register(client, face, app.router.commands)
    actions.register(client)
    client.tree.error(face.on_app_command_error)

    async def on_interaction(interaction: discord.Interaction) -> None:
        await face.on_interaction(interaction)

    client.event(on_interaction)

    async def on_guild_remove(guild: discord.Guild) -> None:
        await face.server_presence(guild.id, absent=True)

    async def on_guild_join(guild: discord.Guild) -> None:
        await face.server_presence(guild.id, absent=False)

    async def on_guild_available(guild: discord.Guild) -> None:
        await face.server_presence(guild.id, absent=False)

    client.event(on_guild_remove)
    client.event(on_guild_join)
    client.event(on_guild_available)
    return face
