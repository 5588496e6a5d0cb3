"""The Slack face: the bolt app, its middleware, and the listeners wired from their modules.

Each listener is a small unit with a ``register(bolt, face)`` (``bot/listeners/commands.py``,
``actions.py``, ``views.py``, ``events.py``); their shared state and error boundary is
:class:`bot.listeners.face.SlackFace`. What they do:

- ``/mock …``: the declared commands (text parsed from the declarations by the router);
  ``/mock`` or ``/mock schedule`` alone opens the scheduling modal; ``/mock admin …`` needs a workspace
  admin/owner or a member of ``SLACK_ADMIN_GROUP`` (checked server-side).
- Buttons and selects whose ``action_id`` matches the core's action-id pattern go to
  ``CommandRouter.act``; modals submit to the router (or, for scheduling, the request service).
- ``app_home_opened`` publishes the App Home (profile, upcoming sessions, buttons).

Every listener acknowledges first; only a modal's own inputs (pure parsing of the
submission) may decide ``response_action: errors`` before the ack. The work after the ack
runs inside one error boundary (:meth:`SlackFace.guarded`): any unexpected exception is
logged once with an incident id and the member privately reads "Something went wrong
(incident …). Nothing was changed."; bolt's error handler does the same for anything that
escapes before it. Members are named by their Slack profile (``users.info``, remembered
for an hour), never by the legacy ``user_name`` handle.

Every reply is private (``respond`` with ``response_type: ephemeral`` or
``chat.postEphemeral``, or a direct message when there is no channel) unless the core
marks it public. After each handled event the app's due steps and outbox run
(``App.tick``), so queued messages go out at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_chat import BOLT_LOGGER, SlackChat, make_client, quiet_logger
from bot.app import App
from bot.core.actions import InvalidAction
from bot.core.incidents import incident_message, report_incident
from bot.core.models import Platform
from bot.core.ports import ChatPort
from bot.listeners import actions, commands, events, views
from bot.listeners.face import (
    ACTION_ID,
    EVENTS_PATH,
    NAME_TTL_SECONDS,
    REFRESH_HOME,
    SEND_CHART,
    SlackFace,
    _ids,
    _press,
    bind_metadata,
    bound_channel,
    profile_name,
)
from bot.listeners.slack_events import note_app_removed, once_per_event, with_request_id
from bot.settings import Settings
from bot.storage.slack_events import SqlSlackEventLog

__all__ = [
    "ACTION_ID",
    "EVENTS_PATH",
    "NAME_TTL_SECONDS",
    "REFRESH_HOME",
    "SEND_CHART",
    "SlackFace",
    "bind_metadata",
    "bound_channel",
    "build_slack_app",
    "http_app",
    "profile_name",
    "start_slack",
]

log = logging.getLogger(__name__)


def _bolt_options(client: AsyncWebClient, secret: str | None) -> dict[str, Any]:
    """What both ways of running (one token, or installs in many workspaces) share."""
    return {
        "client": client,
        "signing_secret": secret,
        "request_verification_enabled": secret is not None,
        "raise_error_for_unhandled_request": False,
        # bolt's loggers (and its Socket Mode client's) copy this one: no payloads at DEBUG
        "logger": quiet_logger(BOLT_LOGGER),
    }


def build_slack_app(
    app: App, settings: Settings, *, client: AsyncWebClient | None = None
) -> AsyncApp:
    """The bolt app with every PeerLoop listener. Its Web API client uses
    ``SLACK_API_BASE_URL`` and retries rate limits and server errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if settings.slack_oauth_enabled:
        # many workspaces: each request is authorized with its workspace's installation
        # (bot/listeners/slack_oauth.py); the shared client carries no token
        from bot.listeners.slack_oauth import oauth_settings, workspace_chat

        oauth = oauth_settings(app, settings)
        client = client or make_client(None, settings.slack_api_base_url)
        bolt = AsyncApp(**_bolt_options(client, secret), oauth_settings=oauth)
        bolt.enable_token_revocation_listeners()  # app_uninstalled, tokens_revoked
        chat: ChatPort = workspace_chat(app, settings, oauth.installation_store)
    else:
        client = client or make_client(token, settings.slack_api_base_url)
        bolt = AsyncApp(**_bolt_options(client, secret))
        chat = SlackChat(client)
    face = SlackFace(app, settings, chat)
    bolt._peerloop_face = face  # type: ignore[attr-defined]

    replying: set[asyncio.Task[None]] = set()
    # A request id per request; each event handled once across processes (bot/listeners/slack_events.py).
    bolt.use(with_request_id)
    bolt.use(once_per_event(SqlSlackEventLog(app.db.engine, now=app.clock.now)))
    bolt.use(note_app_removed(app.actors))

    @bolt.middleware
    async def answer_presses_that_are_not_ours(
        body: dict[str, Any], client: AsyncWebClient, next: Any
    ) -> Any:
        """A ``block_actions`` payload no listener would match (an action id that is missing,
        not text, or not PeerLoop's pattern) is acknowledged and answered privately, so the
        member never sees "This app responded with an error"."""
        if body.get("type") != "block_actions" or _press(body) is not None:
            return await next()

        async def work() -> None:
            raise InvalidAction()

        task = asyncio.create_task(face.guarded("slack action", client, body, work))
        replying.add(task)
        task.add_done_callback(replying.discard)
        return BoltResponse(status=200, body="")

    @bolt.error
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The last boundary, for what escapes a listener before its own (a payload that could
        not be read, a failing ack): logged once with an incident id, the member told."""
        incident = report_incident(log, error, "slack listener")
        if isinstance(body, Mapping) and _ids(body)[2]:
            await face.tell_privately(
                client, body, incident_message(incident), None, "slack listener", incident
            )

    for listeners in (commands, actions, views, events):
        listeners.register(bolt, face)  # each listener a small unit, wired here
    return bolt


def http_app(bolt: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    """An aiohttp application serving bolt at ``path`` (signatures checked by bolt)."""

    async def handle(request: web.Request) -> web.Response:
        """A signed request no listener matches (an event the manifest subscribes to but
        PeerLoop does not use, a closed modal, a shortcut) is answered 200, not bolt's 404:
        Slack would retry it, or show the member "This app responded with an error". A body
        bolt cannot even read into a request (it reads the workspace from it before checking
        the signature) is no request Slack sends: a 400, without a traceback in the log."""
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as exc:
            log.warning("Slack: a request bolt could not read (%s)", type(exc).__qualname__)
            return web.Response(status=400)
        response = await bolt.async_dispatch(bolt_request)
        if response.status == 404:
            response = BoltResponse(status=200, body="")
        return await to_aiohttp_response(response)

    web_app = web.Application()
    web_app.router.add_post(path, handle)
    if bolt.oauth_flow is not None:
        from bot.listeners.slack_oauth import add_oauth_routes

        add_oauth_routes(web_app, bolt)  # GET /slack/install, /slack/oauth_redirect
    return web_app


async def start_slack(
    app: App,
    settings: Settings,
    *,
    host: str = "0.0.0.0",
    routes: Sequence[web.RouteDef] = (),
    http: bool | None = None,
    socket: bool | None = None,
) -> tuple[Any, Callable[[], Awaitable[None]]]:
    """Start the Slack face; returns ``(runner, stop)``: ``await stop()`` on shutdown.

    Socket Mode when ``SLACK_APP_TOKEN`` is set (no public URL needed), else an HTTP server
    on ``SLACK_HTTP_PORT`` serving ``/slack/events``. With the OAuth client settings the HTTP
    server also serves ``/slack/install`` and ``/slack/oauth_redirect`` (in Socket Mode too).
    Registers the Slack chat port on the app, so the outbox can deliver to Slack members.
    ``http`` / ``socket``: the process roles ``slack-http`` / ``slack-socket`` (default: as above).
    """
    if socket is None:
        socket = settings.slack_app_token is not None
    if http is None:
        http = not socket or settings.slack_oauth_enabled
    bolt = build_slack_app(app, settings)
    app.chats[Platform.SLACK] = bolt._peerloop_face.chat  # type: ignore[attr-defined]
    handler: Any = None
    if socket and settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        log.info("Slack: connected in Socket Mode")
        if not http:
            return handler, handler.close_async
    web_app = http_app(bolt)
    web_app.add_routes(routes)  # /healthz and /metrics (bot/ops/health.py)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.slack_http_port)
    await site.start()
    log.info("Slack: listening for events on port %s%s", settings.slack_http_port, EVENTS_PATH)
    if handler is None:
        return runner, runner.cleanup

    async def stop_both() -> None:
        await handler.close_async()
        await runner.cleanup()

    return runner, stop_both
