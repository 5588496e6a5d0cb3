"""``/mockadmin prompts import`` on Discord: the pack comes as a file attachment.

The command itself is declared in the core (``admin prompts import``) and built into the
tree like every other; when Discord hands a file, :func:`import_pack` answers it: the
admin right is checked before anything is downloaded (and again by
:class:`bot.core.services.packs.PackService`), the size before the file is fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.cogs.base import NOT_IN_SERVER, GroupFace
from bot.core.commands import guarded
from bot.core.errors import PeerLoopError
from bot.core.messages import error_message
from bot.core.services.packs import MAX_PACK_BYTES
from bot.core.surface.commands import ADMIN, PROMPTS

__all__ = ["IMPORT_PATH", "import_pack"]

LIMIT = f"{MAX_PACK_BYTES // 1024} KB"
IMPORT_PATH = (ADMIN, PROMPTS, "import")


async def import_pack(
    face: GroupFace, interaction: discord.Interaction, values: Mapping[str, Any]
) -> None:
    """The attached pack: checked (admin, size), downloaded through discord.py, imported."""
    file = next(v for v in values.values() if isinstance(v, discord.Attachment))

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
            await face.reply(
                interaction,
                error_message(
                    f"“{file.filename}” is {file.size:,} bytes; a pack may be at most {LIMIT}."
                ),
            )
            return
        assert face.app.packs is not None
        data = await file.read()
        await face.reply(
            interaction, await guarded(face.app.packs.import_message(actor, data, file.filename))
        )

    await face.guard(interaction, work, "/mockadmin prompts import", defer=True)
