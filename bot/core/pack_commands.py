"""The ``prompts`` admin commands: ``prompts list|import|export|remove|disable|enable``.

Declared in :mod:`bot.core.surface.commands` (paths ``admin prompts …``); bound here to
:class:`bot.core.services.packs.PackService`, which checks the admin right again itself.
Discord (an attachment) and Slack (a modal's file input) hand the file's bytes to
:meth:`PackService.import_message`; a text face (the console) gets a form whose one
field holds the pack's text (:data:`PASTE_LIMIT` characters: a short pack only).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.actions import Action, encode
from bot.core.commands import ActionHandler, CommandHandler, CommandRouter
from bot.core.errors import Conflict
from bot.core.messages import FormPage, FormSpec, FormValues, OutboundMessage, TextInput
from bot.core.services.actor import Actor
from bot.core.services.packs import MAX_PACK_BYTES, PackService
from bot.core.surface.commands import (
    ADMIN,
    PROMPTS,
    ExportArgs,
    ImportArgs,
    NoArgs,
    RemoveArgs,
    TypesArgs,
    command,
)

__all__ = ["IMPORT_VERB", "PASTE_LIMIT", "declare_pack_commands", "import_form"]

IMPORT_VERB = "admin.prompts.import"
#: The most a pasted pack may hold in the form (a larger pack is imported as a file on Discord or Slack).
PASTE_LIMIT = 3000
NO_PACKS = "Prompt packs are not available with this question bank."


def import_form() -> FormSpec:
    """The paste form of ``prompts import`` on text faces."""
    return FormSpec(
        action=encode(IMPORT_VERB),
        title="Import a prompt pack",
        intro=(
            f"Paste the pack (YAML or TOML), up to {PASTE_LIMIT:,} characters. A larger pack (up to "
            f"{MAX_PACK_BYTES // 1024} KB) can be imported as a file on Discord (`/mockadmin prompts import`) "
            "or Slack (`/mock admin prompts import`). "
            "Check it first with `peerloop prompts check FILE`."
        ),
        pages=(
            FormPage(
                "Pack",
                (
                    TextInput(
                        "pack",
                        "Pack (YAML or TOML)",
                        multiline=True,
                        min_length=10,
                        max_length=PASTE_LIMIT,
                        placeholder="pack:\n  id: our-pack\n  name: …",
                    ),
                ),
            ),
        ),
        submit_label="Import",
    )


def declare_pack_commands(
    declare_admin_action: Callable[[str, ActionHandler], None],
    router: CommandRouter,
    packs: PackService | None,
) -> None:
    """Bind every ``admin prompts …`` declaration to ``packs``, and the paste form's action
    through ``declare_admin_action`` (which adds the admin check)."""

    def need() -> PackService:
        if packs is None:
            raise Conflict(NO_PACKS)
        return packs

    async def list_(actor: Actor, args: NoArgs) -> OutboundMessage:
        return await need().list_packs(actor)

    async def export(actor: Actor, args: ExportArgs) -> OutboundMessage:
        return await need().export(actor, args.what or None)

    async def import_(actor: Actor, args: ImportArgs) -> OutboundMessage:
        need()
        return OutboundMessage(text="Paste the pack into the form.", form=import_form())

    async def remove(actor: Actor, args: RemoveArgs) -> OutboundMessage:
        return await need().remove(actor, args.name)

    async def disable(actor: Actor, args: TypesArgs) -> OutboundMessage:
        return await need().set_types(actor, args.types, enabled=False)

    async def enable(actor: Actor, args: TypesArgs) -> OutboundMessage:
        return await need().set_types(actor, args.types, enabled=True)

    async def submitted(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        raw = values.get("pack") or ""
        text = raw if isinstance(raw, str) else "\n".join(raw)
        return await need().import_message(actor, text)

    handlers: dict[str, CommandHandler] = {
        "list": list_,
        "export": export,
        "import": import_,
        "remove": remove,
        "disable": disable,
        "enable": enable,
    }
    for name, handler in handlers.items():
        router.declare(command(ADMIN, PROMPTS, name), handler)
    declare_admin_action(IMPORT_VERB, submitted)
