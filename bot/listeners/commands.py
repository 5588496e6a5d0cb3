"""``/mock …`` on Slack: acknowledged first, then the line goes to the router (``/mock``
alone is ``/mock schedule``: the schedule form); ``/mock admin …`` needs a workspace admin
(asked of Slack), ``/mock admin prompts import`` opens the file modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.messages import error_message
from bot.listeners import slack_packs
from bot.listeners.base import ADMINS_ONLY, plain_references
from bot.listeners.face import SlackFace, _ids


def register(bolt: AsyncApp, face: SlackFace) -> None:
    """Wire the ``/mock`` slash command."""
    app = face.app

    @bolt.command("/mock")
    async def on_mock(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        text = (body.get("text") or "").strip() or "schedule"  # alone: the schedule form

        async def work() -> None:
            if slack_packs.is_import(text):  # a modal with a file input
                refused = await slack_packs.open_import(face, client, body)
                if refused is None:
                    return
                await face.send(client, body, _ids(body)[2], refused)
                return
            if text.split()[0].lower() == "admin":
                if not await face.is_workspace_admin(client, body):
                    await face.send(client, body, _ids(body)[2], error_message(ADMINS_ONLY))
                    return
                actor = await face.actor(body, client, platform_admin=True)
                command = plain_references(text)  # members and channels as their ids
            else:
                actor, command = (
                    await face.actor(body, client),
                    plain_references(text),
                )  # block <@U…>
            await face.reply(
                client,
                body,
                actor,
                await app.router.run_text(actor, command),
                channel=body.get("channel_id"),
            )

        await face.guarded("slack command", client, body, work)
