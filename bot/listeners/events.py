"""Events on Slack: ``app_home_opened`` publishes the member's App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.face import SlackFace, _ids


def register(bolt: AsyncApp, face: SlackFace) -> None:
    """Wire the App Home event."""

    @bolt.event("app_home_opened")
    async def on_home_opened(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home" or not all(_ids(body)[::2]):
            return  # another tab, or no workspace or member to show it for

        async def work() -> None:
            await face.publish_home(client, await face.actor(body, client))

        await face.guarded("slack home", client, body, work)
