"""What the Slack face's listener modules share with the face that registers them: the
refusals they give, and the face's interface they call (:class:`ListenerFace`), so a listener
module (``slack_packs``) depends on this small module, never on ``slack`` that imports it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.core.messages import OutboundMessage
from bot.core.services.actor import Actor

ADMINS_ONLY = "Only workspace admins and owners (or members of the configured admin group) can use `/mock admin`."

#: Slack's escaped user and channel references: ``<@U123|sam>``, ``<@U123>``, ``<#C123|general>``.
_REFERENCE = re.compile(r"<([@#])([A-Za-z0-9]{1,32})(?:\|[^>]*)?>")


def plain_references(text: str) -> str:
    """A command's text as the member typed it, with Slack's user and channel references as the
    plain ids the core reads (``admin member <@U123|sam>`` -> ``admin member U123``;
    ``<#C123|general>`` -> ``C123``). Slack sends what was typed with ``&``, ``<`` and ``>``
    escaped (``&amp;``, ``&lt;``, ``&gt;``); they are read back, ``&amp;`` last, so the core
    sees (and a reply quotes) what was typed, and each face escapes it again on the way out."""
    plain = _REFERENCE.sub(lambda m: m.group(2), text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class ListenerFace(Protocol):
    """The part of the Slack face (``bot.listeners.slack.SlackFace``) a listener module calls."""

    @property
    def app(self) -> App:
        """The application the face serves."""
        ...

    async def is_workspace_admin(self, client: AsyncWebClient, body: Mapping[str, Any]) -> bool:
        """Whether the member is a workspace admin or owner (asked of Slack every time)."""
        ...

    async def actor(
        self, body: Mapping[str, Any], client: AsyncWebClient, *, platform_admin: bool = False
    ) -> Actor:
        """The member acting, in the workspace the request came from."""
        ...

    async def open_view(
        self, client: AsyncWebClient, trigger_id: str, view: Mapping[str, Any]
    ) -> None:
        """Open a modal; a refusal the member can act on (open it again) when Slack says the
        trigger expired or asks to slow down."""
        ...

    def metadata(self, user_id: str, channel: str | None) -> str:
        """A modal's ``private_metadata``: the channel to answer in, bound to the member."""
        ...

    def channel_of(self, body: Mapping[str, Any], view: Mapping[str, Any]) -> str | None:
        """The channel a submitted modal answers in, or ``None`` (direct messages)."""
        ...

    async def reply(
        self,
        client: AsyncWebClient,
        body: Mapping[str, Any],
        actor: Actor,
        message: OutboundMessage,
        *,
        channel: str | None = None,
    ) -> None:
        """Answer the member who acted."""
        ...

    async def guarded(
        self,
        where: str,
        client: AsyncWebClient,
        body: Mapping[str, Any],
        work: Callable[[], Awaitable[None]],
        *,
        channel: str | None = None,
    ) -> None:
        """Run a listener's work after its ack, inside the face's error boundary."""
        ...
