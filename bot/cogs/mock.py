"""The Discord face of ``/mock`` and ``/mockadmin`` (discord.py ``app_commands``).

Thin by design: acknowledge first, resolve the actor, hand the subcommand or the
button's action id to the :class:`~bot.core.commands.CommandRouter`, render the reply
privately, then let the app deliver whatever the call queued (``App.tick``).

Buttons and selects carry the core action id as their ``custom_id``; the persistent
:class:`ActionButton` (a ``DynamicItem`` whose template is the core pattern) answers
them, so they keep working after a restart. Anything else that looks like ours, such
as an edited or stale id, gets a short private refusal instead of a failed interaction.

Forms of several screens keep their progress in a stored draft bound to the member
(:class:`~bot.core.services.form_drafts.FormDraftService`); their ``plform:`` presses are
answered here from the draft, after a restart too. Every handler runs through
:meth:`MockFace.guard`, the one error boundary (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord_render import (
    BUTTONS_PER_ROW,
    ROWS,
    FormStep,
    action_button,
    form_back,
    form_choices,
    form_modal,
    form_next,
    form_start,
    form_steps,
    is_form_id,
    modal_values,
    parse_form_id,
    refused_step,
    render_message,
)
from bot.app import App
from bot.cogs.base import NOT_IN_SERVER
from bot.cogs.packs import add_prompts_group
from bot.core.actions import PATTERN
from bot.core.availability import common_timezones
from bot.core.commands import parse_command_text
from bot.core.errors import PeerLoopError
from bot.core.forms import FormDraft
from bot.core.incidents import incident_message, report_incident
from bot.core.messages import FormValues, OutboundMessage, Tone, error_message
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.services.admin import MATCH_EVERY_RANGE, SESSION_LENGTHS, WEEKDAY_NAMES, WEEKDAYS
from bot.core.services.form_drafts import EXPIRED, FormDraftService
from bot.core.services.requests import MAX_DAYS, MIN_DAYS
from bot.core.text import HELP_TOPICS
from bot.core.vocab import DEFAULT_TRACKS, InterviewType, Level, RolePreference

log = logging.getLogger(__name__)

_ACTION = re.compile(rf"^{PATTERN}$")
FORM_GONE = EXPIRED
OUTDATED_COMMAND = "That command is out of date or its options could not be read. Run it again."
#: Discord fails an interaction not answered within 3 s: a handler that answers directly (a
#: form screen, which may be a modal) is deferred by the boundary if it has not answered by then.
ACK_WITHIN = 2.5

#: Subcommands with typed options below; every other router command gets a generic one.
TYPED_SUBCOMMANDS = frozenset({"help", "profile", "availability", "schedule", "now", "cancel", "upcoming"})


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
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def forms(self) -> FormDraftService:
        assert self.app.forms is not None, "build_app wires the form drafts"
        return self.app.forms

    async def wait_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until no interaction is being handled (tests, and a clean shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- actors ---------------------------------------------------------------------------

    async def actor(self, interaction: discord.Interaction) -> Actor | None:
        """The member acting, in the server the interaction came from (None in a DM)."""
        if interaction.guild_id is None:
            return None
        guild = interaction.guild
        return await self.app.actors.resolve(
            Platform.DISCORD,
            str(interaction.guild_id),
            guild.name if guild is not None and guild.name else str(interaction.guild_id),
            str(interaction.user.id),
            interaction.user.display_name,
            platform_admin=bool(interaction.permissions.manage_guild),
        )

    async def _direct_actors(self, interaction: discord.Interaction) -> list[Actor]:
        """A button in a DM carries no server: the member's PeerLoop servers, known ones only."""
        return await self.app.actors.resolve_direct(Platform.DISCORD, str(interaction.user.id))

    # -- replies --------------------------------------------------------------------------

    async def defer(self, interaction: discord.Interaction) -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)

    async def reply(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """A private reply (the interaction is answered or deferred already)."""
        if message.form is not None:
            await self.open_form(interaction, message)
            return
        rendered = render_message(message)
        await interaction.followup.send(ephemeral=True, **rendered.send_kwargs())

    async def open_form(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """Store a draft of the form for this member and send the button to its first screen."""
        assert message.form is not None
        draft = await self.forms.start(Platform.DISCORD, str(interaction.user.id), message.form)
        # The message around the form (a list of parts, a deadline, buttons for other parts)
        # stays: its embed and buttons go with the form's start button.
        rendered = render_message(replace(message, form=None, selects=()))
        text, view = form_start(draft)
        content = (rendered.content + "\n" if rendered.content and message.text else "") + text
        for i, button in enumerate(message.buttons[: BUTTONS_PER_ROW * (ROWS - 1)]):
            view.add_item(action_button(button, 1 + i // BUTTONS_PER_ROW))
        extra: dict[str, Any] = {"embed": rendered.embed} if rendered.embed is not None else {}
        if rendered.files:
            extra["files"] = rendered.files
        await interaction.followup.send(
            content[:2000], view=view, ephemeral=True, allowed_mentions=rendered.allowed_mentions, **extra
        )

    async def say(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """A private answer, whether or not the interaction was answered already."""
        kwargs = render_message(message).send_kwargs()
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
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
        self, interaction: discord.Interaction, work: Callable[[], Awaitable[None]], where: str, defer: bool
    ) -> None:
        watchdog = None if defer else asyncio.create_task(self._ack_late(interaction))
        try:
            if defer:
                await self.defer(interaction)
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

    async def _answer_anyway(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
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
            if isinstance(error, app_commands.TransformerError | app_commands.CommandSignatureMismatch
                          | app_commands.CommandNotFound):
                await self.refuse(interaction, OUTDATED_COMMAND)
                return
            raise error

        await self.guard(interaction, work, "a Discord command before its handler")

    # -- commands and actions -------------------------------------------------------------

    async def run_command(
        self, interaction: discord.Interaction, name: str, options: Mapping[str, Any]
    ) -> None:
        async def work() -> None:
            actor = await self.actor(interaction)
            if actor is None:
                await self.reply(interaction, error_message(NOT_IN_SERVER))
                return
            clean = {k: str(v) for k, v in options.items() if v is not None and str(v) != ""}
            await self.reply(interaction, await self.app.router.run(actor, name, clean))

        await self.guard(interaction, work, f"/mock {name}", defer=True)

    async def run_text_command(self, interaction: discord.Interaction, name: str, text: str | None) -> None:
        """A router command without typed options: its options as ``key:value`` text."""
        try:
            parsed = parse_command_text(f"{name} {text or ''}")
        except PeerLoopError as exc:
            problem = exc.message
        else:
            await self.run_command(interaction, parsed.name, parsed.options)
            return
        await self.guard(interaction, lambda: self.refuse(interaction, problem), f"/mock {name}")

    async def run_action(self, interaction: discord.Interaction, action_id: str) -> None:
        data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
        picked = tuple(str(v) for v in data.get("values", ()))
        values: FormValues = {"values": picked, "value": picked[0]} if picked else {}

        async def work() -> None:
            await self._act_and_reply(interaction, action_id, values)

        await self.guard(interaction, work, "a Discord button or select", defer=True)

    async def _act_and_reply(self, interaction: discord.Interaction, action_id: str, values: FormValues) -> None:
        await self.reply(interaction, await self._act(interaction, action_id, values))

    async def _act(self, interaction: discord.Interaction, action_id: str, values: FormValues) -> OutboundMessage:
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

    async def run_admin(
        self, interaction: discord.Interaction, name: str, options: Mapping[str, Any] | None = None
    ) -> None:
        """A ``/mockadmin`` command: the core's admin command set checks the admin right again
        (Manage Server on this interaction, or the member's PeerLoop admin flag)."""

        async def work() -> None:
            actor = await self.actor(interaction)
            if actor is None:
                await self.reply(interaction, error_message(NOT_IN_SERVER))
                return
            assert self.app.admin_commands is not None
            clean = {k: str(v) for k, v in (options or {}).items() if v is not None and str(v) != ""}
            await self.reply(interaction, await self.app.admin_commands.run(actor, name, clean))

        await self.guard(interaction, work, f"/mockadmin {name}", defer=True)

    # -- form screens (stored drafts) -----------------------------------------------------

    async def form_press(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A press or submit on a form screen: checked against the stored draft (its owner,
        its expiry) before anything changes, then answered with the next screen."""
        press = parse_form_id(custom_id)
        if press is None:
            await self.refuse(interaction, FORM_GONE)
            return
        owner = str(interaction.user.id)
        draft = await self.forms.load(press.draft_id, Platform.DISCORD, owner)
        steps = form_steps(draft.form)
        if press.kind == "open":
            await self._show_step(interaction, draft, draft.step)
            return
        if press.step >= len(steps):
            await self.refuse(interaction, FORM_GONE)
            return
        step = steps[press.step]
        if press.step > draft.step or not _press_fits(interaction, press.kind, step):
            # Only what the screen's own components send, on a screen already reached: no edited
            # id skips a screen (a modal's id pressed as a button saves no text, Continue on texts).
            await self.refuse(interaction, FORM_GONE)
            return
        if press.kind == "next":
            await self._show_step(interaction, draft, draft.step)
        elif press.kind == "choice":
            if press.row >= len(step.choices):
                await self.refuse(interaction, FORM_GONE)
                return
            choice = step.choices[press.row]
            data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
            picked = tuple(dict.fromkeys(str(v) for v in data.get("values", ())))  # each once
            if not set(picked) <= {o.value for o in choice.options} or (len(picked) > 1 and not choice.multi):
                await self.refuse(interaction, f"That is not one of the choices for “{choice.label}”.")
                return
            await self.forms.update(draft.id, Platform.DISCORD, owner,
                                    {choice.id: picked if choice.multi else (picked[0] if picked else "")})
            if interaction.response.is_done():  # deferred by the boundary: say it was kept
                await interaction.followup.send("Saved.", ephemeral=True)
            else:
                await interaction.response.defer()
        elif press.kind == "continue":
            missing = [c.label for c in step.choices if c.required and not draft.values.get(c.id)]
            if missing:
                await self.refuse(interaction, "Please choose: " + ", ".join(missing) + ".")
                return
            draft = await self.forms.update(draft.id, Platform.DISCORD, owner, {}, step=press.step + 1)
            await self._show_step(interaction, draft, draft.step)
        elif press.kind == "modal" and step.texts:
            data = interaction.data or {}  # type: ignore[assignment]
            values = modal_values(draft, press.step, data)
            # Discord sends every required input; a submit without one was not made by its modal.
            missing = [t.label for t in step.texts if t.required and not str(values.get(t.id, "")).strip()]
            if missing:
                await self.refuse(interaction, "Please fill in: " + ", ".join(missing) + ".")
                return
            draft = await self.forms.update(draft.id, Platform.DISCORD, owner, values, step=press.step + 1)
            await self._show_step(interaction, draft, draft.step)
        else:
            await self.refuse(interaction, FORM_GONE)

    async def _show_step(self, interaction: discord.Interaction, draft: FormDraft, index: int) -> None:
        """Answer with screen ``index`` (a modal or a select message), or submit the form."""
        steps = form_steps(draft.form)
        if index >= len(steps):
            await self.defer(interaction)
            taken = await self.forms.take(draft.id, Platform.DISCORD, str(interaction.user.id))
            try:
                result = await self._act(interaction, taken.form.action, dict(taken.values))
            except Exception:
                await self.forms.put_back(taken, len(steps) - 1)
                raise
            if result.tone is Tone.ERROR:  # refused: the answers stay, to be sent again
                # from the first screen holding an answer the refusal names (else the last one)
                back = refused_step(steps, {name for name, _ in result.field_errors})
                draft = await self.forms.put_back(taken, back)
                rendered = render_message(result)
                view = rendered.view or discord.ui.View(timeout=None)
                view.add_item(form_back(draft, back))
                view.stop()
                await interaction.followup.send(ephemeral=True, **{**rendered.send_kwargs(), "view": view})
                return
            await self.reply(interaction, result)
            return
        if steps[index].texts:
            # A modal cannot open another modal, and a deferred press cannot open one either.
            if interaction.type is discord.InteractionType.modal_submit or interaction.response.is_done():
                await self._send_screen(interaction, *form_next(draft, index))
                return
            await interaction.response.send_modal(form_modal(draft, index))
            return
        await self._send_screen(interaction, *form_choices(draft, index))

    async def _send_screen(self, interaction: discord.Interaction, text: str, view: discord.ui.View) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(text, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(text, view=view, ephemeral=True)

    # -- interactions nobody else answers -----------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Form screens, and stale or edited ids (which the persistent button never sees)."""
        data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id", ""))
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        if is_form_id(custom_id):
            await self.guard(interaction, lambda: self.form_press(interaction, custom_id), "a Discord form screen")
            return
        if interaction.type is discord.InteractionType.modal_submit or not _handled_by_dynamic_item(
            interaction, custom_id
        ):
            # Malformed ids are refused by the router; well-formed ones are checked by the service.
            await self.run_action(interaction, custom_id)


#: What each part of a form screen is on Discord: the interaction type and component type it sends.
_FORM_PARTS = {
    "next": (discord.InteractionType.component, discord.ComponentType.button.value),
    "continue": (discord.InteractionType.component, discord.ComponentType.button.value),
    "choice": (discord.InteractionType.component, discord.ComponentType.string_select.value),
    "modal": (discord.InteractionType.modal_submit, None),
}


def _press_fits(interaction: discord.Interaction, kind: str, step: FormStep) -> bool:
    """Whether the press is what the screen's component of that kind sends."""
    data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
    itype, ctype = _FORM_PARTS[kind]
    if interaction.type is not itype or (ctype is not None and data.get("component_type") != ctype):
        return False
    if kind == "continue" or kind == "choice":
        return bool(step.choices)
    if kind == "modal":
        return bool(step.texts)
    return True


def _handled_by_dynamic_item(interaction: discord.Interaction, custom_id: str) -> bool:
    """Mirrors discord.py: a dynamic item runs when the id matches and the message has it."""
    if not _ACTION.match(custom_id) or interaction.message is None:
        return False
    data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
    component_type = data.get("component_type")
    view = discord.ui.View.from_message(interaction.message, timeout=None)
    return any(
        getattr(item, "custom_id", None) == custom_id and item.type.value == component_type
        for item in view.walk_children()
    )


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PATTERN):
    """Every PeerLoop button and select, after a restart too: the state is the custom_id."""

    def __init__(self, action_id: str) -> None:
        super().__init__(discord.ui.Button(label="PeerLoop", custom_id=action_id))
        self.action_id = action_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, PeerLoopClient):
            await client.face.run_action(interaction, self.action_id)


# -- the command tree -------------------------------------------------------------------


#: Discord's limits for the choices of an option or an autocomplete answer.
CHOICES = 25
CHOICE_TEXT = 100


def _choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """At most 25 choices; a value over 100 characters (a long text typed before the part being
    completed) cannot be offered, so it is left out rather than clipped into another value."""
    return [
        app_commands.Choice(name=label[:CHOICE_TEXT] or value[:CHOICE_TEXT], value=value)
        for label, value in pairs if 0 < len(value) <= CHOICE_TEXT
    ][:CHOICES]


TYPE_CHOICES = _choices([(t.label, t.value) for t in InterviewType])
ROLE_CHOICES = _choices([(r.label, r.value) for r in RolePreference])
LEVEL_CHOICES = _choices([(lv.label, lv.value) for lv in Level])
HELP_CHOICES = _choices([(topic, topic) for topic in HELP_TOPICS])
WEEKDAY_CHOICES = _choices(list(zip(WEEKDAY_NAMES, WEEKDAYS, strict=True)))
SESSION_LENGTH_CHOICES = [app_commands.Choice(name=f"{n} minutes", value=n) for n in SESSION_LENGTHS]
RESET_CHOICES = _choices([
    ("Pair threads: the platform default", "pair_channel"), ("Admins' channel: none", "admin_channel"),
    ("Reminders: none", "reminders"), ("Disabled types: none", "disabled_types"),
])


Completer = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


#: An autocomplete cannot be deferred: past this many seconds it answers with no suggestions.
COMPLETE_WITHIN = 2.0


def _answered(completer: Completer) -> Completer:
    """The error boundary for autocomplete: a failure is reported once and the member sees
    no suggestions (an autocomplete cannot carry a message), never a failed interaction;
    a slow one (a busy database) answers with no suggestions in time, as it cannot be deferred."""

    @functools.wraps(completer)
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            return await asyncio.wait_for(completer(interaction, current), COMPLETE_WITHIN)
        except TimeoutError:
            log.warning("Discord autocomplete %s answered empty: too slow", completer.__name__)
            return []
        except Exception as exc:
            report_incident(log, exc, f"Discord autocomplete {completer.__name__}")
            return []

    return complete


@_answered
async def timezone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in common_timezones(current, 25)]


@_answered
async def track_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The built-in tracks and the community's own (``extra_tracks``)."""
    key = current.strip().lower()
    tracks = dict(DEFAULT_TRACKS)
    client = interaction.client
    if isinstance(client, PeerLoopClient) and interaction.guild_id is not None:
        community = await client.face.app.actors.find_community(Platform.DISCORD, str(interaction.guild_id))
        if community is not None:
            tracks.update(community.settings.extra_tracks)
    return _choices([(label, value) for value, label in tracks.items() if key in value or key in label.lower()])


@_answered
async def types_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Completes the last item of a comma-separated list: ``coding, sys`` → ``coding, system-design``."""
    done, _, last = current.rpartition(",")
    prefix = ", ".join(p.strip() for p in done.split(",") if p.strip())
    key = last.strip().lower()
    out = []
    for t in InterviewType:
        if key in t.value or key in t.label.lower():
            value = f"{prefix}, {t.value}" if prefix else t.value
            out.append((value, value))
    return _choices(out)


def build_mock_group(face: MockFace) -> app_commands.Group:
    mock = app_commands.Group(name="mock", description="Practise interviews with a peer", guild_only=True)

    @mock.command(name="help", description="What PeerLoop does and how to use it")
    @app_commands.describe(topic="A command to explain")
    @app_commands.choices(topic=HELP_CHOICES)
    async def help_(interaction: discord.Interaction, topic: str | None = None) -> None:
        await face.run_command(interaction, "help", {"topic": topic})

    @mock.command(name="profile", description="Set your time zone, track, level and interview types")
    @app_commands.describe(
        timezone="Your time zone, e.g. Europe/Berlin",
        track="Your role track",
        level="Your level",
        types="Interview types, comma-separated",
        languages="Programming languages, comma-separated",
    )
    @app_commands.choices(level=LEVEL_CHOICES)
    @app_commands.autocomplete(timezone=timezone_autocomplete, track=track_autocomplete, types=types_autocomplete)
    async def profile(
        interaction: discord.Interaction,
        timezone: str | None = None,
        track: str | None = None,
        level: str | None = None,
        types: str | None = None,
        languages: str | None = None,
    ) -> None:
        options = {"timezone": timezone, "track": track, "level": level, "types": types, "languages": languages}
        await face.run_command(interaction, "profile", options)

    @mock.command(name="availability", description="When you can practise each week (empty: show it)")
    @app_commands.describe(
        text="e.g. weekdays 18:00-21:00, sat 10-14", blackouts="Dates you're away, e.g. 2026-12-24..2026-12-31"
    )
    async def availability(
        interaction: discord.Interaction, text: str | None = None, blackouts: str | None = None
    ) -> None:
        await face.run_command(interaction, "availability", {"text": text, "blackouts": blackouts})

    @mock.command(name="schedule", description="Ask for a practice session")
    @app_commands.describe(type="Interview type", role="Your role", days="How many days ahead to look (default 7)")
    @app_commands.choices(type=TYPE_CHOICES, role=ROLE_CHOICES)
    async def schedule(
        interaction: discord.Interaction,
        type: str,
        role: str | None = None,
        days: app_commands.Range[int, MIN_DAYS, MAX_DAYS] | None = None,
    ) -> None:
        await face.run_command(interaction, "schedule", {"type": type, "role": role, "days": days})

    @mock.command(name="now", description="Ready within 15 minutes? Get paired at once")
    @app_commands.describe(type="Interview type", role="Your role")
    @app_commands.choices(type=TYPE_CHOICES, role=ROLE_CHOICES)
    async def now(
        interaction: discord.Interaction,
        type: str,
        role: str | None = None,
    ) -> None:
        await face.run_command(interaction, "now", {"type": type, "role": role})

    @mock.command(name="cancel", description="Withdraw an open request")
    @app_commands.describe(request="Which request (empty: list them)")
    async def cancel(interaction: discord.Interaction, request: str | None = None) -> None:
        await face.run_command(interaction, "cancel", {"request": request})

    @mock.command(name="upcoming", description="Your open requests and booked sessions")
    async def upcoming(interaction: discord.Interaction) -> None:
        await face.run_command(interaction, "upcoming", {})

    for name in face.app.router.command_names:
        if name not in TYPED_SUBCOMMANDS and re.fullmatch(r"[a-z0-9_-]{1,32}", name):
            mock.add_command(_generic_command(face, name))
    return mock


def _generic_command(face: MockFace, name: str) -> app_commands.Command[Any, Any, None]:
    @app_commands.describe(options="Options as key:value, e.g. type:coding")
    async def generic(interaction: discord.Interaction, options: str | None = None) -> None:
        await face.run_text_command(interaction, name, options)

    description = HELP_TOPICS.get(name, f"/mock {name}").replace("`", "")
    command: app_commands.Command[Any, Any, None] = app_commands.Command(
        name=name, description=description[:100], callback=generic
    )
    return command


def build_admin_group(face: MockFace) -> app_commands.Group:
    admin = app_commands.Group(
        name="mockadmin",
        description="Run PeerLoop in this server",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @admin.command(name="setup", description="Show PeerLoop's settings here, or change them")
    @app_commands.describe(
        pair_channel="Where private pair threads are opened",
        admin_channel="The admins' channel",
        digest_day="The weekday of the weekly digest",
        digest_hour="The hour of the weekly digest, in each member's time zone (0-23)",
        match_every="Minutes between matching rounds (5-1440)",
        session_minutes="Length of a practice session",
        reminders="Reminders before the start, e.g. 1d, 1h, 10m (none: no reminders)",
        disabled_types="Interview types members may not request, comma-separated (none: all)",
        prefer_seen_prompts="Prefer prompts the interviewer has already seen",
        admins_see_feedback="Admins may read members' feedback",
        reset="Go back to the default for a setting",
    )
    @app_commands.choices(digest_day=WEEKDAY_CHOICES, reset=RESET_CHOICES)
    @app_commands.choices(session_minutes=SESSION_LENGTH_CHOICES)
    @app_commands.autocomplete(disabled_types=types_autocomplete)
    async def setup_(
        interaction: discord.Interaction,
        pair_channel: discord.TextChannel | None = None,
        admin_channel: discord.TextChannel | None = None,
        digest_day: str | None = None,
        digest_hour: app_commands.Range[int, 0, 23] | None = None,
        match_every: app_commands.Range[int, MATCH_EVERY_RANGE[0], MATCH_EVERY_RANGE[1]] | None = None,
        session_minutes: int | None = None,
        reminders: str | None = None,
        disabled_types: str | None = None,
        prefer_seen_prompts: bool | None = None,
        admins_see_feedback: bool | None = None,
        reset: str | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "pair_channel": pair_channel.id if pair_channel else None,
            "admin_channel": admin_channel.id if admin_channel else None,
            "digest_day": digest_day,
            "digest_hour": digest_hour,
            "match_every": match_every,
            "session_minutes": session_minutes,
            "reminders": reminders,
            "disabled_types": disabled_types,
            "prefer_seen_prompts": None if prefer_seen_prompts is None else ("yes" if prefer_seen_prompts else "no"),
            "admins_see_feedback": None if admins_see_feedback is None else ("yes" if admins_see_feedback else "no"),
        }
        if reset:
            options[reset] = "none"
        await face.run_admin(interaction, "setup", options)

    @admin.command(name="stats", description="Community figures over the last 7 and 30 days")
    async def stats(interaction: discord.Interaction) -> None:
        await face.run_admin(interaction, "stats")

    @admin.command(name="member", description="One member: reliability, no-show marks, why not matched")
    @app_commands.describe(user="The member to look up")
    async def member(interaction: discord.Interaction, user: discord.User) -> None:
        await face.run_admin(interaction, "member", {"who": str(user.id)})

    @admin.command(name="status", description="Whether matching is running")
    async def status(interaction: discord.Interaction) -> None:
        await face.run_admin(interaction, "status")

    @admin.command(name="pause", description="Stop pairing new sessions (booked ones go ahead)")
    async def pause(interaction: discord.Interaction) -> None:
        await face.run_admin(interaction, "pause")

    @admin.command(name="resume", description="Start pairing again")
    async def resume(interaction: discord.Interaction) -> None:
        await face.run_admin(interaction, "resume")

    add_prompts_group(admin, face)
    return admin


def setup(client: PeerLoopClient, app: App) -> MockFace:
    """Add ``/mock`` and ``/mockadmin``, the persistent action handler and the fallback listener."""
    face = MockFace(app)
    client.face = face
    client.tree.add_command(build_mock_group(face))
    client.tree.add_command(build_admin_group(face))
    client.add_dynamic_items(ActionButton)
    client.tree.error(face.on_app_command_error)

    async def on_interaction(interaction: discord.Interaction) -> None:
        await face.on_interaction(interaction)

    client.event(on_interaction)
    return face
