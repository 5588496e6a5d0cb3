"""``/mockadmin prompts …``: community prompt packs on Discord.

``import`` takes the pack as a file attachment (downloaded through discord.py after the
size is checked, so a file over the limit is never fetched); ``export`` answers with YAML
files. Everything else goes through the core's admin command set, which checks the admin
right again (as does :class:`bot.core.services.packs.PackService`).
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.cogs.base import NOT_IN_SERVER, GroupFace
from bot.core.commands import guarded
from bot.core.errors import PeerLoopError
from bot.core.messages import error_message
from bot.core.services.packs import MAX_PACK_BYTES

__all__ = ["add_prompts_group"]

LIMIT = f"{MAX_PACK_BYTES // 1024} KB"


def add_prompts_group(admin: app_commands.Group, face: GroupFace) -> app_commands.Group:
    prompts = app_commands.Group(name="prompts", description="Community prompt packs", parent=admin)

    @prompts.command(name="import", description=f"Add or replace a prompt pack (a YAML or TOML file, at most {LIMIT})")
    @app_commands.describe(file=f"The pack: .yaml, .yml or .toml, at most {LIMIT}")
    async def import_(interaction: discord.Interaction, file: discord.Attachment) -> None:
        async def work() -> None:
            actor = await face.actor(interaction)
            if actor is None:
                await face.reply(interaction, error_message(NOT_IN_SERVER))
                return
            try:
                actor.require_admin()  # before downloading anything; the service checks again
            except PeerLoopError as exc:
                await face.reply(interaction, error_message(exc.message))
                return
            if file.size > MAX_PACK_BYTES:
                await face.reply(interaction, error_message(
                    f"“{file.filename}” is {file.size:,} bytes; a pack may be at most {LIMIT}."))
                return
            assert face.app.packs is not None
            data = await file.read()
            await face.reply(interaction, await guarded(face.app.packs.import_message(actor, data, file.filename)))

        await face.guard(interaction, work, "/mockadmin prompts import", defer=True)

    @prompts.command(name="export", description="The packs as YAML files, or the built-in prompts of a type")
    @app_commands.describe(what="A pack id, or an interview type for its built-in prompts (empty: every pack)")
    async def export(interaction: discord.Interaction, what: str | None = None) -> None:
        await face.run_admin(interaction, "prompts", {"action": "export", "what": what})

    @prompts.command(name="list", description="This server's packs and switched-off built-in types")
    async def list_(interaction: discord.Interaction) -> None:
        await face.run_admin(interaction, "prompts", {"action": "list"})

    @prompts.command(name="remove", description="Delete a prompt pack")
    @app_commands.describe(name="The pack's id (see /mockadmin prompts list)")
    async def remove(interaction: discord.Interaction, name: str) -> None:
        await face.run_admin(interaction, "prompts", {"action": "remove", "name": name})

    @prompts.command(name="disable", description="Switch the built-in prompts of interview types off")
    @app_commands.describe(types="Interview types, comma-separated, e.g. coding, system design")
    async def disable(interaction: discord.Interaction, types: str) -> None:
        await face.run_admin(interaction, "prompts", {"action": "disable", "types": types})

    @prompts.command(name="enable", description="Switch the built-in prompts of interview types back on")
    @app_commands.describe(types="Interview types, comma-separated")
    async def enable(interaction: discord.Interaction, types: str) -> None:
        await face.run_admin(interaction, "prompts", {"action": "enable", "types": types})

    return prompts
