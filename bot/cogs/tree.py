"""Discord's ``/mock`` and ``/mockadmin`` command tree, built from the core's declarations.

Each declared command (:mod:`bot.core.surface.commands`) becomes an
``app_commands.Command`` whose parameters are built from its options: text, whole numbers
with their ranges (``min_value``/``max_value``), fixed choices, yes/no, a channel, a user, a
file, with autocomplete where the declaration names a source. Nothing here repeats an
option: adding one to the declaration adds it to Discord. The callback hands the typed
values to :meth:`Face.run_declared`, which runs the command through the router (a user
or a channel becomes its id) — the router parses them once more into the typed
arguments, so every face shares one set of checks.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core.availability import common_timezones
from bot.core.incidents import report_incident
from bot.core.surface.commands import ADMIN, GROUPS, Command
from bot.core.surface.options import Complete, Kind, Option
from bot.core.vocab import DEFAULT_TRACKS, LANGUAGES, InterviewType

log = logging.getLogger(__name__)

#: Discord's limits for the choices of an option or an autocomplete answer.
CHOICES = 25
CHOICE_TEXT = 100
DESCRIPTION = 100
#: An autocomplete cannot be deferred: past this many seconds it answers with no suggestions.
COMPLETE_WITHIN = 2.0

Completer = Callable[
    [discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]


class Face(Protocol):
    """What the tree needs of the Discord face."""

    async def run_declared(
        self, interaction: discord.Interaction, command: Command, values: Mapping[str, Any]
    ) -> None:
        """Run a declared command with the values Discord gave."""
        ...

    async def find_tracks(self, guild_id: int) -> dict[str, str]:
        """The community's own tracks (value → label) for autocomplete."""
        ...

    def loop_templates(self, current: str) -> list[tuple[str, str]]:
        """(label, id) of the loop templates matching what was typed."""
        ...


def _choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """At most 25 choices; a value over 100 characters (a long text typed before the part being
    completed) cannot be offered, so it is left out rather than clipped into another value."""
    return [
        app_commands.Choice(name=label[:CHOICE_TEXT] or value[:CHOICE_TEXT], value=value)
        for label, value in pairs
        if 0 < len(value) <= CHOICE_TEXT
    ][:CHOICES]


def _answered(completer: Completer) -> Completer:
    """The error boundary for autocomplete: a failure is reported once and the member sees
    no suggestions (an autocomplete cannot carry a message), never a failed interaction;
    a slow one (a busy database) answers with no suggestions in time, as it cannot be deferred."""

    @functools.wraps(completer)
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
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
async def timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Zone names containing what was typed."""
    return [app_commands.Choice(name=z, value=z) for z in common_timezones(current, 25)]


@_answered
async def track_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The built-in tracks and the community's own (``extra_tracks``)."""
    key = current.strip().lower()
    tracks = dict(DEFAULT_TRACKS)
    face: Face | None = getattr(interaction.client, "face", None)
    if face is not None and interaction.guild_id is not None:
        tracks.update(await face.find_tracks(interaction.guild_id))
    return _choices(
        [(label, value) for value, label in tracks.items() if key in value or key in label.lower()]
    )


def _list_completions(current: str, names: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Completes the last item of a comma-separated list from ``names`` ((value, label) pairs)."""
    done, _, last = current.rpartition(",")
    prefix = ", ".join(p.strip() for p in done.split(",") if p.strip())
    key = last.strip().lower()
    out = []
    for value, label in names:
        if key in value.lower() or key in label.lower():
            whole = f"{prefix}, {value}" if prefix else value
            out.append((whole, whole))
    return _choices(out)


@_answered
async def types_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Completes the last item of a comma-separated list: ``coding, sys`` → ``coding, system-design``."""
    return _list_completions(current, [(t.value, t.label) for t in InterviewType])


@_answered
async def languages_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Completes the last language of the list from the ones the profile offers."""
    return _list_completions(current, [(name, name) for name in LANGUAGES])


@_answered
async def loop_template_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The loop templates whose id, name or track holds what was typed."""
    face: Face | None = getattr(interaction.client, "face", None)
    return _choices(face.loop_templates(current)) if face is not None else []


COMPLETERS: dict[Complete, Completer] = {
    Complete.TIMEZONE: timezone_autocomplete,
    Complete.TRACK: track_autocomplete,
    Complete.TYPES: types_autocomplete,
    Complete.LANGUAGES: languages_autocomplete,
    Complete.LOOP_TEMPLATE: loop_template_autocomplete,
}


def _annotation(option: Option) -> Any:
    """The Python annotation discord.py turns into the option's type (and range)."""
    if option.kind is Kind.INT:
        if option.min is not None or option.max is not None:
            return app_commands.Range[int, option.min, option.max]
        return int
    if option.kind is Kind.CHOICE and option.value_type is int:
        return int
    if option.kind is Kind.BOOL:
        return bool
    if option.kind is Kind.MEMBER:
        return discord.User
    if option.kind is Kind.CHANNEL:
        return discord.CategoryChannel if option.category else discord.TextChannel
    if option.kind is Kind.FILE:
        return discord.Attachment
    if option.max_length is not None and option.complete is None:
        return app_commands.Range[str, None, min(option.max_length, 6000)]
    return str


def discord_value(value: Any) -> Any:
    """A value Discord gave, as the router reads it: a user or a channel as its id."""
    if isinstance(value, discord.abc.User):
        return str(value.id)
    if isinstance(value, discord.abc.GuildChannel):
        return str(value.id)
    return value


def build_command(
    face: Face, declared: Command, *, parent: app_commands.Group | None = None
) -> app_commands.Command[Any, Any, None]:
    """One declared command as an ``app_commands.Command`` (typed options, choices, ranges, autocomplete)."""
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[Any]]] = {}
    completes: dict[str, Completer] = {}
    for option in declared.options:
        required = option.required and declared.form is None
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if required else None,
            )
        )
        descriptions[option.name] = option.help[:DESCRIPTION]
        if option.kind is Kind.CHOICE and len(option.choices) <= CHOICES:
            if option.value_type is int:
                choices[option.name] = [
                    app_commands.Choice(name=label[:CHOICE_TEXT], value=int(value))
                    for label, value in option.choices
                ]
            else:
                choices[option.name] = list(_choices(list(option.choices)))
        elif option.complete is not None:
            completes[option.name] = COMPLETERS[option.complete]

    async def callback(interaction: discord.Interaction, /, **values: Any) -> None:
        await face.run_declared(
            interaction, declared, {k: discord_value(v) for k, v in values.items()}
        )

    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    if choices:
        callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    if completes:
        callback.__discord_app_commands_param_autocomplete__ = completes  # type: ignore[attr-defined]
    return app_commands.Command(
        name=declared.name,
        description=declared.summary[:DESCRIPTION],
        callback=callback,
        parent=parent,
    )


def build_groups(face: Face, commands: list[Command]) -> list[app_commands.Group]:
    """``/mock`` (every member command) and ``/mockadmin`` (admins, with its ``prompts`` group)."""
    mock = app_commands.Group(name="mock", description=GROUPS[()], guild_only=True)
    admin = app_commands.Group(
        name="mockadmin",
        description=GROUPS[(ADMIN,)],
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    subgroups: dict[tuple[str, ...], app_commands.Group] = {(): mock, (ADMIN,): admin}
    for declared in commands:
        parent_path = declared.path[:-1]
        if parent_path not in subgroups:
            grand = subgroups[parent_path[:-1]]
            subgroups[parent_path] = app_commands.Group(
                name=parent_path[-1],
                description=GROUPS.get(parent_path, parent_path[-1]),
                parent=grand,
            )
        parent = subgroups[parent_path]
        parent.add_command(build_command(face, declared, parent=parent))
    return [mock, admin]


def register(client: Any, face: Face, commands: list[Command]) -> None:
    """Wire ``/mock`` and ``/mockadmin`` (built from ``commands``) on the client's command tree."""
    for group in build_groups(face, commands):
        client.tree.add_command(group)
