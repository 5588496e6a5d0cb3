"""Buttons and selects on Slack: acknowledged first, then the action id goes to the router
(the App Home's own buttons are answered here), and the App Home is refreshed when pressed there."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_carrier import update_carrier
from bot.listeners.face import ACTION_ID, REFRESH_HOME, SEND_CHART, SlackFace, _selected


def register(bolt: AsyncApp, face: SlackFace) -> None:
    """Wire every PeerLoop button and select (the core's action-id pattern)."""
    app = face.app

    @bolt.action(ACTION_ID)
    async def on_action(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()

        async def work() -> None:
            action_id = action["action_id"]
            actor = await face.action_actor(client, body, action_id)
            in_home = (body.get("view") or {}).get("type") == "home"
            if action_id == SEND_CHART:
                await face.reply(client, body, actor, await app.router.run(actor, "progress", {}))
            elif action_id != REFRESH_HOME:
                reply = await app.router.act(actor, action_id, _selected(action))
                if (
                    reply.carrier is not None and not in_home
                ):  # the pressed message, no stale buttons
                    await update_carrier(client, body, reply.carrier)
                await face.reply(client, body, actor, reply)
            if in_home:
                await face.publish_home(client, await face.actor(body, client))

        await face.guarded("slack action", client, body, work)
