"""The ``prompts`` admin command: ``prompts list|export|import|remove|disable|enable``.

Registered on the admin command set (which checks the admin right before any handler);
:class:`bot.core.services.packs.PackService` checks it again itself. Discord (an
attachment) and Slack (a modal's file input) hand the file's bytes to
:meth:`PackService.import_message`; a text face (the console) gets a form whose one
field holds the pack's text (:data:`PASTE_LIMIT` characters: a short pack only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from bot.core.actions import Action, encode
from bot.core.errors import InvalidInput
from bot.core.messages import FormPage, FormSpec, FormValues, OutboundMessage, TextInput, quote
from bot.core.services.actor import Actor
from bot.core.services.packs import MAX_PACK_BYTES, PackService

__all__ = ["IMPORT_VERB", "PASTE_LIMIT", "SUBCOMMANDS", "import_form", "register_pack_commands"]

IMPORT_VERB = "admin.prompts.import"
#: The most a pasted pack may hold in the form (a larger pack is imported as a file on Discord or Slack).
PASTE_LIMIT = 3000
SUBCOMMANDS: dict[str, str] = {
    "list": "the community's packs and switched-off built-in types",
    "import": "add or replace a pack (a YAML or TOML file)",
    "export": "the packs as YAML; `export NAME` one pack; `export TYPE` the built-in prompts of a type",
    "remove": "`remove NAME`: delete a pack",
    "disable": "`disable TYPES`: switch built-in prompts of these interview types off",
    "enable": "`enable TYPES`: switch them back on",
}
SUMMARY = "community prompt packs: " + ", ".join(SUBCOMMANDS)

Handler = Callable[[Actor, Mapping[str, str]], Awaitable[OutboundMessage]]
ActionHandler = Callable[[Actor, Action, FormValues], Awaitable[OutboundMessage]]


class AdminCommandSet(Protocol):
    """What :func:`register_pack_commands` needs from the admin command set."""

    def register(self, name: str, handler: Handler, *, summary: str = "") -> None: ...
    def register_action(self, verb: str, handler: ActionHandler, *, form: bool = False) -> None: ...


def import_form() -> FormSpec:
    return FormSpec(
        action=encode(IMPORT_VERB),
        title="Import a prompt pack",
        intro=(f"Paste the pack (YAML or TOML), up to {PASTE_LIMIT:,} characters. A larger pack (up to "
               f"{MAX_PACK_BYTES // 1024} KB) can be imported as a file on Discord (`/mockadmin prompts import`) "
               "or Slack (`/mock admin prompts import`). "
               "Check it first with `peerloop prompts check FILE`."),
        pages=(FormPage("Pack", (TextInput("pack", "Pack (YAML or TOML)", multiline=True, min_length=10,
                                           max_length=PASTE_LIMIT, placeholder="pack:\n  id: our-pack\n  name: …"),)),),
        submit_label="Import",
    )


def _split(options: Mapping[str, str]) -> tuple[str, str]:
    """(subcommand, its argument) from ``{"args": "export coding"}`` or typed options."""
    free = (options.get("args") or "").strip()
    sub = (options.get("action") or options.get("sub") or "").strip().lower()
    if not sub and free:
        first, _, free = free.partition(" ")
        sub = first.lower()
    arg = free.strip() or next(
        (options[k].strip() for k in ("name", "pack", "types", "type", "what") if options.get(k)), "")
    return sub or "list", arg


def register_pack_commands(admin: AdminCommandSet, packs: PackService) -> None:
    async def prompts(actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        sub, arg = _split(options)
        if sub == "list":
            return await packs.list_packs(actor)
        if sub == "export":
            return await packs.export(actor, arg or None)
        if sub == "import":
            actor.require_admin()
            text = options.get("text")
            if text:
                return await packs.import_message(actor, text, options.get("filename"))
            return OutboundMessage(text="Paste the pack into the form.", form=import_form())
        if sub == "remove":
            return await packs.remove(actor, arg)
        if sub in ("disable", "enable"):
            return await packs.set_types(actor, arg, enabled=sub == "enable")
        raise InvalidInput("prompts", f"“{quote(sub)}” is not a prompts command.", accepted=", ".join(SUBCOMMANDS))

    async def submitted(actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        raw = values.get("pack") or ""
        text = raw if isinstance(raw, str) else "\n".join(raw)
        return await packs.import_message(actor, text)

    admin.register("prompts", prompts, summary=SUMMARY)
    admin.register_action(IMPORT_VERB, submitted, form=True)
