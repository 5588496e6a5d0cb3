"""``/mock admin prompts import`` on Slack: a modal with a file input.

The admin picks the pack file in the modal; on submission PeerLoop asks Slack about the file
(``files.info``, which needs the ``files:read`` scope), checks its size (at most
:data:`MAX_PACK_BYTES`) before downloading it with the bot token, and hands the bytes to
:meth:`PackService.import_message`. A refused pack keeps the modal open with the problems
under the file input. The workspace-admin check runs when the modal is opened and again on
submission (the core checks a third time). Every other ``prompts`` subcommand goes through
the core's admin command set as text; ``export`` files are uploaded with ``files_upload_v2``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.actions import declare_verb
from bot.core.commands import guarded
from bot.core.errors import InvalidInput
from bot.core.messages import OutboundMessage, error_message
from bot.core.services.packs import MAX_PACK_BYTES, pack_format
from bot.listeners.base import ADMINS_ONLY, ListenerFace

if TYPE_CHECKING:
    from bot.core.services.actor import Actor

__all__ = ["UPLOAD_VIEW", "import_view", "is_import", "on_upload", "open_import", "picked_problem"]

#: The modal's callback id (``pl:admin.…``: an admin-only action for the face's check).
UPLOAD_VIEW = "pl:" + declare_verb("admin.prompts.upload")
BLOCK = "pack"
LIMIT = f"{MAX_PACK_BYTES // 1024} KB"
_IMPORT = re.compile(r"^\s*admin\s+prompts\s+import\s*$", re.IGNORECASE)


def is_import(text: str) -> bool:
    """``admin prompts import`` (the one admin command that needs a file)."""
    return bool(_IMPORT.match(text))


def import_view(metadata: str) -> dict[str, Any]:
    """The upload modal; ``metadata`` is the bound channel (``ListenerFace.metadata``)."""
    return {
        "type": "modal",
        "callback_id": UPLOAD_VIEW,
        "title": {"type": "plain_text", "text": "Import a prompt pack"},
        "submit": {"type": "plain_text", "text": "Import"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        f"A YAML or TOML pack file, at most {LIMIT}. A pack with the id of one you imported "
                        "before replaces it; a pack with any problem is refused whole. "
                        "Check it first with `peerloop prompts check FILE`."
                    ),
                },
            },
            {
                "type": "input",
                "block_id": BLOCK,
                "label": {"type": "plain_text", "text": "Pack file"},
                "element": {
                    "type": "file_input",
                    "action_id": BLOCK,
                    "filetypes": ["yaml", "yml", "toml"],
                    "max_files": 1,
                },
            },
        ],
    }


async def open_import(
    face: ListenerFace, client: AsyncWebClient, body: Mapping[str, Any]
) -> OutboundMessage | None:
    """Open the modal for a workspace admin; otherwise the refusal to send back."""
    if not await face.is_workspace_admin(client, body):
        return error_message(ADMINS_ONLY)
    actor = await face.actor(body, client, platform_admin=True)
    if not actor.is_admin:
        return error_message("Only community admins can import prompt packs.")
    await face.open_view(
        client,
        body["trigger_id"],
        import_view(face.metadata(actor.member.external_id, body.get("channel_id"))),
    )
    return None


def _picked(view: Mapping[str, Any]) -> Mapping[str, Any] | None:
    state = ((view.get("state") or {}).get("values") or {}).get(BLOCK) or {}
    files = [
        f
        for f in (state.get(BLOCK) or {}).get("files") or ()
        if isinstance(f, Mapping) and f.get("id")
    ]
    return files[0] if files else None


async def _download(client: AsyncWebClient, url: str) -> bytes:
    headers = {"Authorization": f"Bearer {client.token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        resp.raise_for_status()
        data = await resp.content.read(MAX_PACK_BYTES + 1)
    return data


def picked_problem(picked: Mapping[str, Any] | None) -> str | None:
    """What the submitted file input alone shows to be wrong (pure: no Web API call, no
    database), so the modal can stay open with it; None when the file may be fetched."""
    if picked is None:
        return f"Choose a pack file (.yaml, .yml or .toml, at most {LIMIT})."
    name = str(picked.get("name") or "")[:120]
    try:
        pack_format(name)
    except InvalidInput as exc:
        return exc.message
    size = picked.get("size")
    if isinstance(size, int) and size > MAX_PACK_BYTES:
        return f"“{name}” is {size:,} bytes; a pack may be at most {LIMIT}."
    return None


async def on_upload(
    face: ListenerFace,
    ack: Callable[..., Awaitable[Any]],
    body: Mapping[str, Any],
    view: Mapping[str, Any],
    client: AsyncWebClient,
) -> None:
    """Handle the modal's submission: acknowledge first, then fetch and check the file and
    answer privately (in the channel the modal was opened from, else in direct messages)."""
    picked = _picked(view)
    problem = picked_problem(picked)
    if problem is not None:
        await ack(response_action="errors", errors={BLOCK: problem[:2000]})
        return
    await ack()
    assert picked is not None
    channel = face.channel_of(body, view)

    async def work() -> None:
        actor = await face.actor(
            body, client, platform_admin=await face.is_workspace_admin(client, body)
        )
        if not actor.is_admin:
            await face.reply(client, {}, actor, error_message(ADMINS_ONLY), channel=channel)
            return
        await face.reply(
            client, {}, actor, await _import(face, client, actor, picked), channel=channel
        )

    await face.guarded("slack pack upload", client, body, work, channel=channel)


async def _import(
    face: ListenerFace, client: AsyncWebClient, actor: Actor, picked: Mapping[str, Any]
) -> OutboundMessage:
    info = (await client.files_info(file=str(picked["id"]))).get("file") or {}
    name = str(info.get("name") or picked.get("name") or "pack.yaml")[:120]
    size = int(info.get("size") or picked.get("size") or 0)
    if size > MAX_PACK_BYTES:
        return error_message(
            f"“{name}” is {size:,} bytes; a pack may be at most {LIMIT}. Nothing was imported."
        )
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        return error_message(
            "Slack did not give PeerLoop the file; try again. Nothing was imported."
        )
    data = await _download(client, str(url))
    assert face.app.packs is not None
    return await guarded(face.app.packs.import_message(actor, data, name))
