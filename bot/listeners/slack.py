"""The Slack face: bolt listeners that acknowledge, resolve the actor, call the core, render.

- ``/mock …``: the shared command set (text parsed by ``parse_command_text``); ``/mock`` or
  ``/mock schedule`` alone opens the scheduling modal; ``/mock admin …`` needs a workspace
  admin/owner or a member of ``SLACK_ADMIN_GROUP`` (checked here, server-side).
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
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_chat import SlackChat, make_client
from bot.adapters.slack_render import (
    form_values,
    home_view,
    render_message,
    view_errors,
    view_metadata,
)
from bot.app import App
from bot.core.actions import PATTERN, InvalidAction
from bot.core.errors import PeerLoopError
from bot.core.incidents import incident_message, report_incident
from bot.core.messages import (
    Button,
    ButtonStyle,
    FormSpec,
    FormValues,
    OutboundMessage,
    error_message,
)
from bot.core.models import Platform
from bot.core.ports import ChatPort
from bot.core.services.actor import Actor
from bot.core.services.requests import schedule_form
from bot.listeners import slack_packs
from bot.listeners.base import ADMINS_ONLY, plain_references
from bot.settings import Settings

log = logging.getLogger(__name__)

ACTION_ID = re.compile(rf"^{PATTERN}$")
#: Face-local ids (same format, never reach the router).
OPEN_SCHEDULE = "pl:slack.open_schedule"
REFRESH_HOME = "pl:slack.home"
SEND_CHART = "pl:slack.chart"
EVENTS_PATH = "/slack/events"
#: How long a member's Slack profile name is reused before ``users.info`` is asked again.
NAME_TTL_SECONDS = 3600.0
#: At most this many names are remembered (the oldest half is dropped beyond it).
NAME_CACHE_MAX = 10_000
ADMIN_ACTION_PREFIX = "pl:admin."
#: chat.postEphemeral errors meaning "not in that channel": the answer goes to direct messages.
CHANNEL_GONE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived",
                          "restricted_action", "cannot_dm_bot", "invalid_channel"})
#: How many event ids are remembered to drop Slack's re-deliveries (any retry reason).
SEEN_EVENTS_MAX = 10_000
UNREADABLE_FORM = "PeerLoop could not read that form. Open it again. Nothing was changed."


# -- who is acting -----------------------------------------------------------------------------


def _ids(body: Mapping[str, Any]) -> tuple[str, str, str]:
    """(team id, team name, user id) from any kind of payload."""
    team = body.get("team") or {}
    user = body.get("user") or {}
    event = body.get("event") or {}
    auths = body.get("authorizations") or [{}]
    team_id = (body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
               or (event.get("team") if isinstance(event, dict) else None)
               or (auths[0].get("team_id") if isinstance(auths[0], dict) else None) or "")
    team_name = body.get("team_domain") or (team.get("domain") if isinstance(team, dict) else None) or team_id
    user_id = ((user.get("id") if isinstance(user, dict) else None) or body.get("user_id")
               or (event.get("user") if isinstance(event, dict) else None) or "")
    return str(team_id), str(team_name), str(user_id)


def _now() -> float:
    return time.monotonic()


def profile_name(user: Mapping[str, Any]) -> str:
    """The name a member chose in their Slack profile (display name, else real name); never
    the legacy ``name`` handle, which reads like ``ualice``."""
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name")):
        if isinstance(name, str) and name.strip():
            return " ".join(name.split())
    return ""


def _slack_error(exc: SlackApiError) -> str:
    """The Web API's error code (``user_not_found``): safe to log, it never quotes a member."""
    response = exc.response
    return str(response.get("error", "")) if response is not None else ""


class SlackFace:
    """The listeners' shared state: the PeerLoop app, the settings and the chat port."""

    def __init__(self, app: App, settings: Settings, chat: ChatPort) -> None:
        self.app = app
        self.settings = settings
        self.chat = chat
        #: (team id, user id) -> (valid until, monotonic clock; profile name)
        self._names: dict[tuple[str, str], tuple[float, str]] = {}
        secret = settings.slack_signing_secret or settings.slack_bot_token
        self._metadata_key = (secret.get_secret_value().encode() if secret else secrets.token_bytes(32))

    async def actor(
        self, body: Mapping[str, Any], client: AsyncWebClient, *, platform_admin: bool = False
    ) -> Actor:
        team_id, team_name, user_id = _ids(body)
        if not team_id or not user_id:
            raise PeerLoopError("Slack did not say which workspace or member this came from. Nothing was changed.")
        name = await self.display_name(client, team_id, user_id)
        return await self.app.actors.resolve(
            Platform.SLACK, team_id, team_name, user_id, name, platform_admin=platform_admin
        )

    async def users_info(self, client: AsyncWebClient, team_id: str, user_id: str) -> Mapping[str, Any]:
        """``users.info`` for a member; remembers their profile name on the way."""
        info = await client.users_info(user=user_id)
        user: Mapping[str, Any] = info.get("user") or {}
        if len(self._names) >= NAME_CACHE_MAX:
            for key in sorted(self._names, key=lambda k: self._names[k][0])[: NAME_CACHE_MAX // 2]:
                del self._names[key]
        self._names[(team_id, user_id)] = (_now() + NAME_TTL_SECONDS, profile_name(user))
        return user

    async def display_name(self, client: AsyncWebClient, team_id: str, user_id: str) -> str:
        """The member's Slack profile name, asked of Slack at most once an hour per member.
        ``""`` when Slack does not answer: the stored name is kept (a new member's name is
        filled in at their next interaction)."""
        known = self._names.get((team_id, user_id))
        if known is not None and known[0] > _now():
            return known[1]
        try:
            await self.users_info(client, team_id, user_id)
        except SlackApiError as exc:
            log.warning("Slack: users.info failed (%s); the member's stored name is kept", _slack_error(exc))
            return ""
        return self._names[(team_id, user_id)][1]

    async def is_workspace_admin(self, client: AsyncWebClient, body: Mapping[str, Any]) -> bool:
        """Asked of Slack every time (never trusted from the payload)."""
        team_id, _, user_id = _ids(body)
        user = await self.users_info(client, team_id, user_id)
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return True
        group = self.settings.slack_admin_group
        if group:
            members = await client.usergroups_users_list(usergroup=group)
            return user_id in (members.get("users") or [])
        return False

    # -- replying ----------------------------------------------------------------------------

    async def reply(
        self, client: AsyncWebClient, body: Mapping[str, Any], actor: Actor, message: OutboundMessage,
        *, channel: str | None = None,
    ) -> None:
        """Answer the member who acted: through the response URL when there is one, else as an
        ephemeral in the channel, else in their direct messages with the app."""
        if message.form is not None and body.get("trigger_id"):
            await self.open_form(client, body["trigger_id"], message.form, channel, actor.member.external_id)
            if not message.text and not message.title:
                return
        await self.send(client, body, actor.member.external_id, message, channel=channel)
        if message.attachments:
            await self.chat.send_direct(actor.member, OutboundMessage(
                text="The files for your last request.", attachments=message.attachments))

    async def send(
        self, client: AsyncWebClient, body: Mapping[str, Any], user_id: str, message: OutboundMessage,
        *, channel: str | None = None,
    ) -> None:
        """``message`` to ``user_id`` (the one who acted), without needing their member row: the
        error boundary uses it when even resolving the member failed."""
        rendered = render_message(message)
        response_url = body.get("response_url")
        channel = channel or (body.get("channel") or {}).get("id") or body.get("channel_id")
        if response_url:
            from slack_sdk.webhook.async_client import AsyncWebhookClient

            hook = AsyncWebhookClient(response_url)
            await hook.send(
                text=rendered["text"], blocks=rendered["blocks"], replace_original=False,
                response_type="ephemeral" if message.ephemeral else "in_channel",
            )
        elif channel and message.ephemeral:
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, **rendered)
            except SlackApiError as exc:
                if _slack_error(exc) not in CHANNEL_GONE:
                    raise
                log.warning("Slack: an ephemeral could not be shown (%s); sent as a direct message instead",
                            _slack_error(exc))
                await client.chat_postMessage(channel=user_id, **rendered)
        else:
            await client.chat_postMessage(channel=channel or user_id, **rendered)

    def metadata(self, user_id: str, channel: str | None) -> str:
        """A modal's ``private_metadata``: the channel to answer in, bound to the member it
        was opened for (``bind_metadata``); a submission from anyone else answers in direct
        messages."""
        return bind_metadata(self._metadata_key, user_id, channel)

    def channel_of(self, body: Mapping[str, Any], view: Mapping[str, Any]) -> str | None:
        """The channel a submitted modal answers in, if its metadata is PeerLoop's, for this
        member; else ``None`` (direct messages)."""
        return bound_channel(self._metadata_key, _ids(body)[2], view)

    async def open_form(
        self, client: AsyncWebClient, trigger_id: str, form: FormSpec, channel: str | None, user_id: str,
    ) -> None:
        from bot.adapters.slack_render import form_view

        await client.views_open(trigger_id=trigger_id, view=form_view(form, self.metadata(user_id, channel)).to_dict())

    async def publish_home(self, client: AsyncWebClient, actor: Actor) -> None:
        """Profile and availability, upcoming sessions, feedback owed, progress and the digest
        setting; the chart comes as a file through a button (home tabs show no uploads), so
        it is not drawn here."""
        profile = await self.app.profiles.show(actor)
        sections = [profile]
        for name in ("upcoming", "feedback", "progress", "digest"):
            if name == "progress" and self.app.progress is not None:
                sections.append(await self.app.progress.progress(actor, chart=False))
            elif name in self.app.router.command_names:
                section = await self.app.router.run(actor, name, {})
                sections.append(replace(section, attachments=()))
        buttons = (
            Button("Schedule an interview", OPEN_SCHEDULE, ButtonStyle.PRIMARY),
            Button("Send my progress chart", SEND_CHART),
            Button("Refresh", REFRESH_HOME),
        )
        view = home_view(sections, buttons)
        await client.views_publish(user_id=actor.member.external_id, view=view.to_dict())

    # -- the error boundary ------------------------------------------------------------------

    async def guarded(
        self, where: str, client: AsyncWebClient, body: Mapping[str, Any],
        work: Callable[[], Awaitable[None]], *, channel: str | None = None,
    ) -> None:
        """Run a listener's work after its ack. A refusal raised outside the router (a
        PeerLoop error) is shown privately; any other exception (a Web API error such as
        ``user_not_found``, a failing database, a bug) is logged once with an incident id and
        the member privately reads "Something went wrong (incident …)". Then the due steps
        and the outbox run."""
        try:
            await work()
        except PeerLoopError as exc:
            await self.tell_privately(client, body, error_message(_clip(exc.message)), channel, where)
        except Exception as exc:
            incident = report_incident(log, exc, where)
            await self.tell_privately(client, body, incident_message(incident), channel, where, incident)
        finally:
            try:
                await self.app.tick()
            except Exception as exc:
                report_incident(log, exc, "delivering queued messages")

    async def tell_privately(
        self, client: AsyncWebClient, body: Mapping[str, Any], message: OutboundMessage,
        channel: str | None, where: str, incident: str | None = None,
    ) -> None:
        """``message`` to whoever acted, privately; a failure here is logged (type only)."""
        try:
            await self.send(client, body, _ids(body)[2], message, channel=channel)
        except Exception as exc:
            log.error("%s: the private reply%s could not be sent either (%s)", where,
                      f" for incident {incident}" if incident else "", type(exc).__qualname__)

    # -- admin -------------------------------------------------------------------------------

    async def action_actor(self, client: AsyncWebClient, body: Mapping[str, Any], action_id: str) -> Actor:
        """The actor behind a button; for an admin-only action (``pl:admin.…``) Slack is asked
        whether they administer the workspace, and the core checks that again."""
        if action_id.startswith(ADMIN_ACTION_PREFIX):
            return await self.actor(body, client, platform_admin=await self.is_workspace_admin(client, body))
        return await self.actor(body, client)


def _clip(text: str, limit: int = 2900) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _selected(action: Mapping[str, Any]) -> FormValues:
    """A select's choice as the core's values; anything Slack would not send (an option that
    is not an object, a value that is not text) is left out, and the core refuses what is missing."""
    if "selected_options" in action:
        options = action.get("selected_options")
        chosen = options if isinstance(options, list) else []
        return {"selected": tuple(str(o["value"]) for o in chosen
                                  if isinstance(o, dict) and isinstance(o.get("value"), str))}
    option = action.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        return {"selected": option["value"]}
    return {}


def bind_metadata(key: bytes, user_id: str, channel: str | None) -> str:
    """``{"channel": …, "user": …, "sig": …}``: Slack hands private_metadata back as the
    client submitted it, so it is signed (HMAC-SHA256 with the signing secret) over the
    member and the channel."""
    if not channel:
        return ""
    sig = hmac.new(key, f"{user_id}\n{channel}".encode(), hashlib.sha256).hexdigest()
    return json.dumps({"channel": channel, "user": user_id, "sig": sig})


def bound_channel(key: bytes, user_id: str, view: Mapping[str, Any]) -> str | None:
    data = view_metadata(view)
    channel, sig = data.get("channel"), data.get("sig")
    if not isinstance(channel, str) or not isinstance(sig, str) or data.get("user") != user_id:
        return None
    expected = hmac.new(key, f"{user_id}\n{channel}".encode(), hashlib.sha256).hexdigest()
    return channel if hmac.compare_digest(expected, sig) else None


def _readable(view: Mapping[str, Any]) -> bool:
    """Whether a submitted view has the shape Slack gives it (its state parses)."""
    try:
        view_errors(view)
        form_values(view.get("state") or {})
        slack_packs.picked_problem(slack_packs._picked(view))
    except (AttributeError, TypeError, KeyError, ValueError):
        return False
    return True


def _press(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A ``block_actions`` payload's action if it is one of PeerLoop's (a string action id of
    the core's pattern), else ``None``."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if isinstance(action, dict) and isinstance(action.get("action_id"), str) and ACTION_ID.match(action["action_id"]):
        return action
    return None


def _bolt_options(client: AsyncWebClient, secret: str | None) -> dict[str, Any]:
    """What both ways of running (one token, or installs in many workspaces) share."""
    return {"client": client, "signing_secret": secret, "request_verification_enabled": secret is not None,
            "raise_error_for_unhandled_request": False}


def build_slack_app(
    app: App, settings: Settings, *, client: AsyncWebClient | None = None
) -> AsyncApp:
    """The bolt app with every PeerLoop listener. Its Web API client uses
    ``SLACK_API_BASE_URL`` and retries rate limits and server errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
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

    seen_events: dict[str, None] = {}
    replying: set[asyncio.Task[None]] = set()

    @bolt.middleware
    async def handle_each_event_once(request: Any, body: dict[str, Any], next: Any) -> Any:
        """An event is handled once: a delivery whose ``event_id`` this process has seen is a
        re-delivery (Slack retries for any reason: late answer, error, rate limit) and is
        acknowledged without work. Slash commands and presses are never re-sent by Slack."""
        if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str):
            if body["event_id"] in seen_events:
                return BoltResponse(status=200, body="")
            seen_events[body["event_id"]] = None
            if len(seen_events) > SEEN_EVENTS_MAX:
                for old in list(seen_events)[: SEEN_EVENTS_MAX // 2]:
                    del seen_events[old]
        return await next()

    @bolt.middleware
    async def answer_presses_that_are_not_ours(body: dict[str, Any], client: AsyncWebClient, next: Any) -> Any:
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
            await face.tell_privately(client, body, incident_message(incident), None, "slack listener", incident)

    @bolt.command("/mock")
    async def on_mock(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        text = (body.get("text") or "").strip()

        async def work() -> None:
            if text.lower() in ("", "schedule"):
                await face.actor(body, client)  # the member exists before their first form
                await face.open_form(client, body["trigger_id"], schedule_form(), body.get("channel_id"), _ids(body)[2])
                return
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
                actor, command = await face.actor(body, client), text
            await face.reply(client, body, actor, await app.router.run_text(actor, command))

        await face.guarded("slack command", client, body, work)

    @bolt.action(ACTION_ID)
    async def on_action(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()

        async def work() -> None:
            action_id = action["action_id"]
            actor = await face.action_actor(client, body, action_id)
            in_home = (body.get("view") or {}).get("type") == "home"
            if action_id == OPEN_SCHEDULE:
                await face.open_form(client, body["trigger_id"], schedule_form(), None, actor.member.external_id)
                return
            if action_id == SEND_CHART:
                await face.reply(client, body, actor, await app.router.run(actor, "progress", {}))
            elif action_id != REFRESH_HOME:
                reply = await app.router.act(actor, action_id, _selected(action))
                await face.reply(client, body, actor, reply)
            if in_home:
                await face.publish_home(client, await face.actor(body, client))

        await face.guarded("slack action", client, body, work)

    @bolt.view(ACTION_ID)
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
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
        errors = view_errors(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        values = form_values(view.get("state") or {})
        channel = face.channel_of(body, view)

        async def work() -> None:
            actor = await face.actor(body, client)
            reply = await app.router.act(actor, callback_id, values)
            await face.reply(client, {}, actor, reply, channel=channel)

        await face.guarded("slack form", client, body, work, channel=channel)

    @bolt.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home" or not all(_ids(body)[::2]):
            return  # another tab, or no workspace or member to show it for

        async def work() -> None:
            await face.publish_home(client, await face.actor(body, client))

        await face.guarded("slack home", client, body, work)

    return bolt



def http_app(bolt: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    """An aiohttp application serving bolt at ``path`` (signatures checked by bolt)."""

    async def handle(request: web.Request) -> web.Response:
        """A signed request no listener matches (an event the manifest subscribes to but
        PeerLoop does not use, a closed modal, a shortcut) is answered 200, not bolt's 404:
        Slack would retry it, or show the member "This app responded with an error"."""
        bolt_request = await to_bolt_request(request)
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
    app: App, settings: Settings, *, host: str = "0.0.0.0", routes: Sequence[web.RouteDef] = (),
    http: bool | None = None, socket: bool | None = None,
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
