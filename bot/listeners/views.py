"""Modal submissions on Slack: only what the view itself decides runs before the ack (errors
beside the inputs); the work runs after it, and its answer is a private follow-up."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_render import form_values, view_errors
from bot.core.errors import PeerLoopError
from bot.core.services.onboarding import answer_problems
from bot.listeners import slack_packs
from bot.listeners.face import ACTION_ID, UNREADABLE_FORM, SlackFace, _readable


def register(bolt: AsyncApp, face: SlackFace) -> None:
    """Wire every PeerLoop modal (callback ids of the core's action-id pattern)."""
    app = face.app

    @bolt.view(ACTION_ID)
    async def on_submit(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Before the ack only what the submitted view itself decides (each required input
        filled, each choice one of its options, each text within its lengths): pure parsing,
        so the errors can still show beside the inputs. The work runs after the ack, and its
        answer is a private follow-up."""
        callback_id = view.get("callback_id", "")
        if not _readable(view):
            await ack()

            async def refuse() -> None:
                raise PeerLoopError(UNREADABLE_FORM)

            await face.guarded("slack form", client, body, refuse)
            return
        if callback_id == slack_packs.UPLOAD_VIEW:
            await slack_packs.on_upload(face, ack, body, view, client)
            return
        values = form_values(view.get("state") or {})
        # the form's own inputs, then what reading the answers shows (the profile form's zone
        # and availability): beside the inputs, with everything typed kept
        errors = view_errors(view) or answer_problems(callback_id, values)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        channel = face.channel_of(body, view)

        async def work() -> None:
            # an admin-only form (``pl:admin.…``) asks Slack whether they administer the workspace
            actor = await face.action_actor(client, body, callback_id)
            reply = await app.router.act(actor, callback_id, values)
            # a reply with a form (the profile form's, then the schedule form) opens it at once
            await face.reply(
                client, {"trigger_id": body.get("trigger_id")}, actor, reply, channel=channel
            )

        await face.guarded("slack form", client, body, work, channel=channel)
