"""The Slack ChatPort: direct messages, group DMs as pair spaces, posts and file uploads.

Rate limits and server errors are first retried by the Web API client itself
(``slack_sdk.http_retry``), a rate limit only when Slack asks for a short wait; what is still
failing becomes :class:`TemporaryDeliveryError` (with Slack's ``Retry-After``), so the outbox
tries again later. A member who cannot be messaged (DMs closed, deactivated, gone) becomes
:class:`DirectMessagesClosed`, so the outbox falls back to the pair space; a channel that is
archived, gone or closed to the app becomes :class:`SpaceUnavailable`, so the outbox stops
posting there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack_render import render_message
from bot.core.messages import OutboundMessage
from bot.core.models import Community, Member, Platform
from bot.core.ports import (
    AttachmentsNotSent,
    DirectMessagesClosed,
    SpaceUnavailable,
    TemporaryDeliveryError,
)
from bot.core.ports.room import WithoutVoice

log = logging.getLogger(__name__)

#: Web API errors meaning "this member cannot get a direct message from the app".
DM_CLOSED_ERRORS = frozenset(
    {
        "cannot_dm_bot",
        "user_disabled",
        "user_not_found",
        "user_not_visible",
        "account_inactive",
        "messages_tab_disabled",
        "not_in_channel",
        "is_archived",
        "channel_not_found",
    }
)
#: Web API errors meaning "this channel, or the message to update, is gone or closed to the
#: app" when posting or updating in a channel (not a member's DM).
SPACE_GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "message_not_found",
        "cant_update_message",
        "invalid_channel",
    }
)
#: ... of which an admin can put these right (invite the app to the channel).
SPACE_DENIED_ERRORS = frozenset({"not_in_channel", "restricted_action"})
TEMPORARY_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
    }
)


#: slack_sdk and bolt write whole payloads at DEBUG: every request body (what PeerLoop sends
#: members), every Socket Mode envelope (what members typed, feedback included), every
#: acknowledgement (a modal's errors quote the answer refused). Every Slack client, the bolt
#: app and its Socket Mode client log through these two loggers, which drop their DEBUG lines
#: whatever the level says: bolt sets its own loggers' levels from the root logger's when the
#: app is built, so holding ``slack_bolt`` at INFO (``bot.logs``) does not hold them.
SDK_LOGGER = "slack_sdk.peerloop"
BOLT_LOGGER = "slack_bolt.peerloop"


class _NoPayloadsAtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def quiet_logger(name: str) -> logging.Logger:
    """The logger ``name``, dropping its DEBUG lines at any level (idempotent). bolt copies a
    logger it is given, filters included, to the loggers of its middleware and listeners."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _NoPayloadsAtDebug) for f in logger.filters):
        logger.addFilter(_NoPayloadsAtDebug())
    return logger


def webhook(response_url: str) -> AsyncWebhookClient:
    """A client for a press's or a command's response URL (its payloads kept out of the logs)."""
    return AsyncWebhookClient(response_url, logger=quiet_logger(SDK_LOGGER))


#: The longest ``Retry-After`` the Web API client waits out in place. A longer one is handed on
#: (the outbox retries the message after it; a member is asked to try again): a delivery that
#: slept through minutes would outlast its claim on the message, and a form's trigger expires
#: in seconds.
WAIT_IN_PLACE_SECONDS = 5.0


def retry_after_of(headers: Any) -> float | None:
    """The ``Retry-After`` header's seconds (the Web API client gives headers as lists)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


class ShortRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 in place only when Slack asks for a short wait (at most ``max_wait``
    seconds, or no ``Retry-After`` at all)."""

    def __init__(self, max_retry_count: int, max_wait: float = WAIT_IN_PLACE_SECONDS) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_of(response.headers)
        return wait is None or wait <= self.max_wait


def make_client(token: str | None, base_url: str, *, max_retries: int = 2) -> AsyncWebClient:
    """A Web API client that retries short rate limits (honouring Retry-After), 5xx and
    dropped connections a few times before giving up (its payloads kept out of the logs)."""
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        logger=quiet_logger(SDK_LOGGER),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
            ShortRateLimitRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


def translate(exc: SlackApiError, *, direct: bool) -> Exception:
    """A Web API error as the core's delivery errors."""
    response = exc.response
    error = str(response.get("error", "")) if response is not None else ""
    status = getattr(response, "status_code", 0) or 0
    if status == 429 or status >= 500 or error in TEMPORARY_ERRORS:
        retry_after = retry_after_of(getattr(response, "headers", None))
        limited = status == 429 or error in ("ratelimited", "rate_limited")
        return TemporaryDeliveryError(f"Slack: {error or status}", retry_after, refused=limited)
    if direct and error in DM_CLOSED_ERRORS:
        return DirectMessagesClosed(error)
    if not direct and error in SPACE_GONE_ERRORS | SPACE_DENIED_ERRORS:
        return SpaceUnavailable(f"Slack: {error}", needs_admin=error in SPACE_DENIED_ERRORS)
    return exc


class SlackChat(WithoutVoice):
    """Implements :class:`bot.core.ports.ChatPort` for one workspace's bot token."""

    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def _call(self, method: str, *, direct: bool = False, **kwargs: Any) -> Any:
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise translate(exc, direct=direct) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TemporaryDeliveryError(f"Slack unreachable: {type(exc).__name__}") from exc

    async def send_direct(self, member: Member, message: OutboundMessage) -> str:
        opened = await self._call("conversations_open", direct=True, users=member.external_id)
        channel = opened["channel"]["id"]
        return await self._post(channel, message, direct=True)

    async def open_pair_space(
        self, community: Community, members: Sequence[Member], title: str
    ) -> str:
        """A group DM of the pair and the app (``conversations.open`` with several users
        returns the same conversation every time, so opening twice is harmless)."""
        users = ",".join(m.external_id for m in members)
        opened = await self._call("conversations_open", users=users)
        return str(opened["channel"]["id"])

    async def post(self, community: Community, space_ref: str, message: OutboundMessage) -> str:
        return await self._post(space_ref, message)

    async def edit(self, community: Community, message_ref: str, message: OutboundMessage) -> None:
        """Replace a message sent as ``channel:ts`` (``chat.update``: its text and blocks)."""
        channel, _, ts = message_ref.partition(":")
        body = render_message(message)
        await self._call(
            "chat_update", channel=channel, ts=ts, text=body["text"], blocks=body["blocks"]
        )

    async def _post(self, channel: str, message: OutboundMessage, *, direct: bool = False) -> str:
        """The text, then its files (Slack uploads them apart, under the message). A message of
        files alone (the files of one sent earlier) is only uploaded."""
        if message.attachments and not (
            message.text or message.title or message.fields or message.buttons
        ):
            await self._upload(channel, message, None, direct=direct)
            return f"{channel}:files"
        body = render_message(message)
        sent = await self._call(
            "chat_postMessage",
            direct=direct,
            channel=channel,
            text=body["text"],
            blocks=body["blocks"],
            unfurl_links=False,
        )
        ts = str(sent.get("ts", ""))
        if message.attachments:
            try:
                await self._upload(channel, message, ts or None, direct=direct)
            except Exception as exc:  # the text went: only the files are to be sent again
                raise AttachmentsNotSent(f"{channel}:{ts}", message.attachments, exc) from exc
        return f"{channel}:{ts}"

    async def _upload(
        self, channel: str, message: OutboundMessage, thread_ts: str | None, *, direct: bool
    ) -> None:
        await self._call(
            "files_upload_v2",
            direct=direct,
            channel=channel,
            thread_ts=thread_ts,
            file_uploads=[
                {
                    "content": a.data,
                    "filename": a.filename,
                    "title": a.filename,
                    **({"alt_txt": a.description} if a.description else {}),
                }
                for a in message.attachments
            ],
        )
