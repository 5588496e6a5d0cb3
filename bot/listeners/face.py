"""The Slack face's shared state and boundary (:class:`SlackFace`): who is acting, how a
member is answered (response URL, ephemeral, direct message), modal metadata bound to the
member, the App Home, and the error boundary every listener's work runs in.

Listener modules (``commands``, ``actions``, ``views``, ``events``) each ``register`` their
listener on the bolt app with this face; :mod:`bot.listeners.slack` builds the app.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_chat import webhook
from bot.adapters.slack_render import (
    form_values,
    home_view,
    render_message,
    view_errors,
    view_metadata,
)
from bot.app import App
from bot.core.actions import PATTERN, declare_verb, encode
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
from bot.core.ports import AttachmentsNotSent, ChatPort, TemporaryDeliveryError
from bot.core.services.actor import Actor
from bot.core.services.requests import SCHEDULE_OPEN
from bot.listeners import slack_packs
from bot.settings import Settings

log = logging.getLogger(__name__)

ACTION_ID = re.compile(rf"^{PATTERN}$")
#: Face-local ids (same format, never reach the router).
REFRESH_HOME = "pl:" + declare_verb("slack.home")
SEND_CHART = "pl:" + declare_verb("slack.chart")
EVENTS_PATH = "/slack/events"
#: How long a member's Slack profile name is reused before ``users.info`` is asked again.
NAME_TTL_SECONDS = 3600.0
#: At most this many names are remembered (the oldest half is dropped beyond it).
NAME_CACHE_MAX = 10_000
ADMIN_ACTION_PREFIX = "pl:admin."
#: chat.postEphemeral errors meaning "not in that channel": the answer goes to direct messages.
CHANNEL_GONE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "user_not_in_channel",
        "is_archived",
        "restricted_action",
        "cannot_dm_bot",
        "invalid_channel",
    }
)
UNREADABLE_FORM = "PeerLoop could not read that form. Open it again. Nothing was changed."
#: views.open errors meaning "too late, or too busy, to open the form now": the member is asked
#: to open it again (a trigger id lives three seconds; a rate limit passes).
FORM_TOO_LATE = frozenset({"expired_trigger_id", "trigger_exchanged", "ratelimited"})
FORM_NOT_OPENED = (
    "The form could not open in time (Slack gives an app a few seconds, or asked PeerLoop to "
    "slow down). Run the command or press the button again to open it."
)


FILES_NOT_SENT = (
    "Slack would not take the files just now (it asked PeerLoop to slow down, or was busy). "
    "Run the command again in a minute to get them."
)


class FormNotOpened(PeerLoopError):
    """Slack would not open a modal now (its trigger expired, or a rate limit): the member is
    told privately to open it again."""

    def __init__(self) -> None:
        super().__init__(FORM_NOT_OPENED)


async def open_view(client: AsyncWebClient, trigger_id: str, view: Mapping[str, Any]) -> None:
    """``views.open``; :class:`FormNotOpened` when Slack says it is too late or too busy."""
    try:
        await client.views_open(trigger_id=trigger_id, view=dict(view))
    except SlackApiError as exc:
        if _slack_error(exc) not in FORM_TOO_LATE:
            raise
        log.warning("Slack: a form could not open (%s)", _slack_error(exc))
        raise FormNotOpened() from None


# -- who is acting -----------------------------------------------------------------------------


def _ids(body: Mapping[str, Any]) -> tuple[str, str, str]:
    """(team id, team name, user id) from any kind of payload."""
    team = body.get("team") or {}
    user = body.get("user") or {}
    event = body.get("event") or {}
    auths = body.get("authorizations") or [{}]
    team_id = (
        body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or (event.get("team") if isinstance(event, dict) else None)
        or (auths[0].get("team_id") if isinstance(auths[0], dict) else None)
        or ""
    )
    team_name = (
        body.get("team_domain")
        or (team.get("domain") if isinstance(team, dict) else None)
        or team_id
    )
    user_id = (
        (user.get("id") if isinstance(user, dict) else None)
        or body.get("user_id")
        or (event.get("user") if isinstance(event, dict) else None)
        or ""
    )
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
        #: (team id, user id) -> the zone ``users.info`` gave (offered first in the profile form)
        self._zones: dict[tuple[str, str], str] = {}
        secret = settings.slack_signing_secret or settings.slack_bot_token
        self._metadata_key = (
            secret.get_secret_value().encode() if secret else secrets.token_bytes(32)
        )

    async def actor(
        self, body: Mapping[str, Any], client: AsyncWebClient, *, platform_admin: bool = False
    ) -> Actor:
        """The member acting, in the workspace the payload came from (named by their Slack profile)."""
        team_id, team_name, user_id = _ids(body)
        if not team_id or not user_id:
            raise PeerLoopError(
                "Slack did not say which workspace or member this came from. Nothing was changed."
            )
        name = await self.display_name(client, team_id, user_id)
        actor = await self.app.actors.resolve(
            Platform.SLACK, team_id, team_name, user_id, name, platform_admin=platform_admin
        )
        zone = self._zones.get((team_id, user_id))  # users.info's ``tz``: the profile form's zone
        return replace(actor, zone_hints=(zone,)) if zone else actor

    async def users_info(
        self, client: AsyncWebClient, team_id: str, user_id: str
    ) -> Mapping[str, Any]:
        """``users.info`` for a member; remembers their profile name on the way."""
        info = await client.users_info(user=user_id)
        user: Mapping[str, Any] = info.get("user") or {}
        if len(self._names) >= NAME_CACHE_MAX:
            for key in sorted(self._names, key=lambda k: self._names[k][0])[: NAME_CACHE_MAX // 2]:
                del self._names[key]
                self._zones.pop(key, None)
        self._names[(team_id, user_id)] = (_now() + NAME_TTL_SECONDS, profile_name(user))
        if isinstance(user.get("tz"), str) and user["tz"]:
            self._zones[(team_id, user_id)] = user["tz"]
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
            log.warning(
                "Slack: users.info failed (%s); the member's stored name is kept", _slack_error(exc)
            )
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
        self,
        client: AsyncWebClient,
        body: Mapping[str, Any],
        actor: Actor,
        message: OutboundMessage,
        *,
        channel: str | None = None,
    ) -> None:
        """Answer the member who acted: through the response URL when there is one, else as an
        ephemeral in the channel, else in their direct messages with the app."""
        if message.form is not None and body.get("trigger_id"):
            try:
                await self.open_form(
                    client, body["trigger_id"], message.form, channel, actor.member.external_id
                )
            except FormNotOpened as late:  # what came with the form is still said
                text = f"{message.text}\n\n{late.message}" if message.text else late.message
                message = replace(message, text=text, form=None)
            else:
                if not message.text and not message.title:
                    return
        await self.send(client, body, actor.member.external_id, message, channel=channel)
        if message.attachments:
            try:
                await self.chat.send_direct(
                    actor.member,
                    OutboundMessage(
                        text="The files for your last request.", attachments=message.attachments
                    ),
                )
            except (AttachmentsNotSent, TemporaryDeliveryError) as exc:
                log.warning("Slack: a reply's files could not be sent (%s)", type(exc).__name__)
                await self.send(
                    client,
                    body,
                    actor.member.external_id,
                    error_message(FILES_NOT_SENT),
                    channel=channel,
                )

    async def send(
        self,
        client: AsyncWebClient,
        body: Mapping[str, Any],
        user_id: str,
        message: OutboundMessage,
        *,
        channel: str | None = None,
    ) -> None:
        """``message`` to ``user_id`` (the one who acted), without needing their member row: the
        error boundary uses it when even resolving the member failed."""
        rendered = render_message(message)
        response_url = body.get("response_url")
        channel = channel or (body.get("channel") or {}).get("id") or body.get("channel_id")
        if response_url:
            answered = await webhook(response_url).send(
                text=rendered["text"],
                blocks=rendered["blocks"],
                replace_original=False,
                response_type="ephemeral" if message.ephemeral else "in_channel",
            )
            if answered.status_code == 200:
                return
            # The URL is used up or expired, or Slack refused the answer: the webhook client
            # does not raise, so the answer would be lost without a word. Posted instead (in
            # direct messages, or the channel for a public answer); one Slack refuses too
            # raises, and the boundary answers with the incident.
            log.warning(
                "Slack: a response URL refused the answer (%s %s); posted instead",
                answered.status_code,
                _code(answered.body),
            )
            public = channel if channel and not message.ephemeral else None
            await client.chat_postMessage(channel=public or user_id, **rendered)
        elif channel and message.ephemeral:
            try:
                await client.chat_postEphemeral(channel=channel, user=user_id, **rendered)
            except SlackApiError as exc:
                if _slack_error(exc) not in CHANNEL_GONE:
                    raise
                log.warning(
                    "Slack: an ephemeral could not be shown (%s); sent as a direct message instead",
                    _slack_error(exc),
                )
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
        self,
        client: AsyncWebClient,
        trigger_id: str,
        form: FormSpec,
        channel: str | None,
        user_id: str,
    ) -> None:
        """Open ``form`` as a modal, its metadata bound to the member and the channel to answer in."""
        from bot.adapters.slack_render import form_view

        await self.open_view(
            client, trigger_id, form_view(form, self.metadata(user_id, channel)).to_dict()
        )

    async def open_view(
        self, client: AsyncWebClient, trigger_id: str, view: Mapping[str, Any]
    ) -> None:
        """``views.open``; :class:`FormNotOpened` when Slack says it is too late or too busy."""
        await open_view(client, trigger_id, view)

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
            Button("Schedule an interview", encode(SCHEDULE_OPEN), ButtonStyle.PRIMARY),
            Button("Send my progress chart", SEND_CHART),
            Button("Refresh", REFRESH_HOME),
        )
        view = home_view(sections, buttons)
        await client.views_publish(user_id=actor.member.external_id, view=view.to_dict())

    # -- the error boundary ------------------------------------------------------------------

    async def guarded(
        self,
        where: str,
        client: AsyncWebClient,
        body: Mapping[str, Any],
        work: Callable[[], Awaitable[None]],
        *,
        channel: str | None = None,
    ) -> None:
        """Run a listener's work after its ack. A refusal raised outside the router (a
        PeerLoop error) is shown privately; any other exception (a Web API error such as
        ``user_not_found``, a failing database, a bug) is logged once with an incident id and
        the member privately reads "Something went wrong (incident …)". Then the due steps
        and the outbox run."""
        try:
            await work()
        except PeerLoopError as exc:
            await self.tell_privately(
                client, body, error_message(_clip(exc.message)), channel, where
            )
        except Exception as exc:
            incident = report_incident(log, exc, where)
            await self.tell_privately(
                client, body, incident_message(incident), channel, where, incident
            )
        finally:
            try:
                await self.app.tick()
            except Exception as exc:
                report_incident(log, exc, "delivering queued messages")

    async def tell_privately(
        self,
        client: AsyncWebClient,
        body: Mapping[str, Any],
        message: OutboundMessage,
        channel: str | None,
        where: str,
        incident: str | None = None,
    ) -> None:
        """``message`` to whoever acted, privately; a failure here is logged (type only)."""
        try:
            await self.send(client, body, _ids(body)[2], message, channel=channel)
        except Exception as exc:
            log.error(
                "%s: the private reply%s could not be sent either (%s)",
                where,
                f" for incident {incident}" if incident else "",
                type(exc).__qualname__,
            )

    # -- admin -------------------------------------------------------------------------------

    async def action_actor(
        self, client: AsyncWebClient, body: Mapping[str, Any], action_id: str
    ) -> Actor:
        """The actor behind a button; for an admin-only action (``pl:admin.…``) Slack is asked
        whether they administer the workspace, and the core checks that again."""
        if action_id.startswith(ADMIN_ACTION_PREFIX):
            return await self.actor(
                body, client, platform_admin=await self.is_workspace_admin(client, body)
            )
        return await self.actor(body, client)


def _code(body: object) -> str:
    """A Slack error code (``expired_url``, ``invalid_blocks``) from a response body; anything
    else is left out of the log."""
    text = str(body or "").strip()
    return text if re.fullmatch(r"[a-z_]{1,40}", text) else ""


def _clip(text: str, limit: int = 2900) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _selected(action: Mapping[str, Any]) -> FormValues:
    """A select's choice as the core's values; anything Slack would not send (an option that
    is not an object, a value that is not text) is left out, and the core refuses what is missing."""
    if "selected_options" in action:
        options = action.get("selected_options")
        chosen = options if isinstance(options, list) else []
        return {
            "selected": tuple(
                str(o["value"])
                for o in chosen
                if isinstance(o, dict) and isinstance(o.get("value"), str)
            )
        }
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
    """The channel in a submitted view's metadata, if signed for ``user_id``; else ``None``."""
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
    if (
        isinstance(action, dict)
        and isinstance(action.get("action_id"), str)
        and ACTION_ID.match(action["action_id"])
    ):
        return action
    return None
