"""Keeping Slack messages true: the message whose button was pressed is updated so it shows no
stale buttons (the core's :class:`~bot.core.messages.Carrier`): a message the app posted with
``chat.update`` (its blocks kept, its buttons replaced, a note added), an ephemeral one through
the press's ``response_url`` (``replace_original``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ContextBlock, MarkdownTextObject
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_chat import webhook
from bot.adapters.slack_render import _button, mrkdwn, plain
from bot.core.mentions import plain_mentions
from bot.core.messages import Carrier

log = logging.getLogger(__name__)

#: Slack's limits: 50 blocks a message, 25 elements an actions block, 3,000 characters a text.
MAX_BLOCKS = 50
MAX_ELEMENTS = 25
MAX_NOTE = 3000


def carrier_blocks(
    blocks: Sequence[Mapping[str, Any]], carrier: Carrier, *, private: bool = False
) -> list[dict[str, Any]]:
    """The message's blocks without its buttons, then the note, then the buttons it keeps (a
    ``private`` message, the presser's own)."""
    buttons = carrier.kept(private=private)
    kept = [dict(b) for b in blocks if b.get("type") != "actions"]
    kept.append(
        ContextBlock(
            elements=[MarkdownTextObject(text=mrkdwn(carrier.note, carrier.mentions)[:MAX_NOTE])]
        ).to_dict()
    )
    if buttons:
        kept.append(ActionsBlock(elements=[_button(b) for b in buttons[:MAX_ELEMENTS]]).to_dict())
    return kept[-MAX_BLOCKS:]


async def update_carrier(client: AsyncWebClient, body: Mapping[str, Any], carrier: Carrier) -> bool:
    """Update the message the press came from; returns whether it was. A failure is logged
    with Slack's error code (never the text), not raised: the member's answer still goes out."""
    container: Mapping[str, Any] = body.get("container") or {}
    message: Mapping[str, Any] = body.get("message") or {}
    try:
        if not container.get("is_ephemeral") and message and container.get("message_ts"):
            await client.chat_update(
                channel=str(container.get("channel_id")),
                ts=str(container["message_ts"]),
                text=str(message.get("text") or plain(plain_mentions(carrier.note))),
                blocks=carrier_blocks(message.get("blocks") or [], carrier),
            )
            return True
        if container.get("is_ephemeral") and body.get("response_url"):
            await webhook(str(body["response_url"])).send(
                replace_original=True,
                text=plain(plain_mentions(carrier.note)),
                blocks=carrier_blocks([], carrier, private=True),
            )
            return True
    except SlackApiError as exc:
        log.warning(
            "Slack: the pressed message could not be updated (%s)",
            exc.response.get("error", "") if exc.response is not None else "",
        )
    return False
