"""``peerloop run``: what one process runs (its roles), and running it until stopped.

A process can hold any of four roles (docs/operations.md, "Process roles"):

- ``discord``: the Discord gateway (the shards in ``SHARD_COUNT``/``SHARD_IDS``), answering
  interactions;
- ``slack-http``: the Slack HTTP endpoint (``/slack/events``, and the OAuth install routes);
- ``slack-socket``: Slack Socket Mode;
- ``worker``: the step scheduler and outbox delivery.

The default is everything configured, so a single process is unchanged. A process with faces
and no worker only answers interactions (its direct replies are responses to them); whatever
the core queues (announcements, reminders, pair-space posts) waits in the database for a
worker. A worker without a face delivers through the platforms' REST APIs only: a discord.py
client logged in over HTTP without a gateway connection, and the Slack Web API client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.limits import RateLimit

log = logging.getLogger("peerloop")

ROLE_NAMES = ("discord", "slack-http", "slack-socket", "worker")


class RolesError(ValueError):
    """The roles asked for cannot run with these settings."""


@dataclass(frozen=True)
class Roles:
    discord: bool
    slack_http: bool
    slack_socket: bool
    worker: bool

    @property
    def faces(self) -> bool:
        return self.discord or self.slack_http or self.slack_socket

    def names(self) -> list[str]:
        return [f.name.replace("_", "-") for f in fields(self) if getattr(self, f.name)]


def configured_roles(settings: Settings) -> Roles:
    """Everything the settings configure: the one-process default."""
    socket = settings.slack_enabled and settings.slack_app_token is not None
    # OAuth installs need the HTTP routes (/slack/install) even in Socket Mode.
    http = settings.slack_enabled and (not socket or settings.slack_oauth_enabled)
    return Roles(discord=settings.discord_enabled, slack_http=http, slack_socket=socket, worker=True)


def resolve_roles(settings: Settings, flags: Mapping[str, bool | None] | None = None) -> Roles:
    """The roles of this process: ``RUN_ROLES`` (or everything configured), then the command
    line's ``--[no-]ROLE`` flags (``flags``: role name with ``_`` -> True/False/None)."""
    chosen = configured_roles(settings)
    if settings.run_roles is not None:
        names = {n.strip().lower().replace("_", "-") for n in settings.run_roles.split(",") if n.strip()}
        unknown = names - set(ROLE_NAMES)
        if unknown:
            raise RolesError(f"RUN_ROLES: unknown role {', '.join(sorted(unknown))} "
                             f"(choose from {', '.join(ROLE_NAMES)})")
        chosen = Roles(**{n.replace("-", "_"): n in names for n in ROLE_NAMES})
    wanted = {f.name: getattr(chosen, f.name) for f in fields(chosen)}
    for name, value in (flags or {}).items():
        if value is not None:
            wanted[name] = value
    roles = Roles(**wanted)
    if roles.discord and not settings.discord_enabled:
        raise RolesError("the discord role needs DISCORD_TOKEN")
    if (roles.slack_http or roles.slack_socket) and not settings.slack_enabled:
        raise RolesError("a Slack role needs SLACK_BOT_TOKEN (or the SLACK_CLIENT_ID/SECRET of OAuth installs)")
    if roles.slack_socket and settings.slack_app_token is None:
        raise RolesError("the slack-socket role needs SLACK_APP_TOKEN")
    if not roles.faces and not roles.worker:
        raise RolesError("nothing to run: every role is off")
    return roles


def add_role_flags(run: Any) -> None:
    """``--discord/--no-discord`` and the others on ``peerloop run``'s parser."""
    import argparse

    helps = {
        "discord": "the Discord gateway (its shards: SHARD_COUNT, SHARD_IDS)",
        "slack-http": "the Slack HTTP endpoint (and the OAuth install routes)",
        "slack-socket": "Slack Socket Mode",
        "worker": "the step scheduler and outbox delivery",
    }
    for name in ROLE_NAMES:
        run.add_argument(f"--{name}", dest=f"role_{name.replace('-', '_')}", default=None,
                         action=argparse.BooleanOptionalAction, help=f"run {helps[name]} here")


def role_flags(args: Any) -> dict[str, bool | None]:
    return {name.replace("-", "_"): getattr(args, f"role_{name.replace('-', '_')}", None) for name in ROLE_NAMES}


# -- REST-only chat ports for a worker without faces ---------------------------------------------


class RestDiscord:
    """A discord.py client logged in over HTTP only (no gateway): enough to send messages,
    open threads and read guilds for the outbox."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def close(self) -> None:
        await self.client.close()


async def start_rest_discord(app: App, settings: Settings) -> RestDiscord:
    import discord

    from bot.adapters.discord_app import quiet_payload_logs
    from bot.adapters.discord_chat import DiscordChat
    from bot.adapters.discord_client import configure_discord_endpoints
    from bot.core.models import Platform

    assert settings.discord_token is not None
    configure_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
    quiet_payload_logs()
    client = discord.Client(intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none())
    await client.login(settings.discord_token.get_secret_value())  # REST only: never connect()
    app.chats[Platform.DISCORD] = DiscordChat(client)
    log.info("Discord: delivering over REST (no gateway in this process)")
    return RestDiscord(client)


def rest_slack_chat(app: App, settings: Settings) -> Any:
    """The Slack chat port without bolt: the Web API client (each workspace's token for OAuth)."""
    from bot.adapters.slack_chat import SlackChat, make_client

    if settings.slack_oauth_enabled:
        from bot.listeners.slack_oauth import oauth_settings, workspace_chat

        return workspace_chat(app, settings, oauth_settings(app, settings).installation_store)
    assert settings.slack_bot_token is not None
    return SlackChat(make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base_url))


# -- running -------------------------------------------------------------------------------------


class Process:
    """One ``peerloop run`` process: :meth:`start` what its roles say, :meth:`stop` it all."""

    def __init__(self, app: App, settings: Settings, roles: Roles, *, health_port: int | None = None,
                 sweep_seconds: float | None = None, discord_options: Mapping[str, Any] | None = None) -> None:
        from bot.ops.health import Monitor
        from bot.scheduling.runtime import DEFAULT_SWEEP_SECONDS, SchedulerRuntime

        self.app = app
        self.settings = settings
        self.roles = roles
        self.runtime = (SchedulerRuntime(app, sweep_seconds=sweep_seconds or DEFAULT_SWEEP_SECONDS)
                        if roles.worker else None)
        self.monitor = Monitor(app, self.runtime)
        self.health_port = health_port
        self.discord: Any = None
        self.discord_options = dict(discord_options or {})
        self._stops: list[Callable[[], Awaitable[None]]] = []
        # Faces without the worker leave due steps and queued messages to a worker process.
        app.runs_steps = roles.worker

    async def start(self) -> None:
        from bot.core.models import Platform

        settings, roles, app = self.settings, self.roles, self.app
        if roles.discord:
            from bot.adapters.discord_app import start_discord

            self.discord = await start_discord(app, settings, **self.discord_options)
            self._stops.append(self.discord.close)
            self.monitor.discord = self.discord
        elif roles.worker and settings.discord_enabled:
            rest = await start_rest_discord(app, settings)
            self._stops.append(rest.close)
        if roles.slack_http or roles.slack_socket:
            from bot.listeners.slack import start_slack

            _runner, stop_slack = await start_slack(app, settings, routes=self.monitor.routes(),
                                                    http=roles.slack_http, socket=roles.slack_socket)
            self._stops.append(stop_slack)
        elif roles.worker and settings.slack_enabled:
            app.chats[Platform.SLACK] = rest_slack_chat(app, settings)
        if self.runtime is not None:
            await self.runtime.start()
        port = self.health_port if self.health_port is not None else settings.health_port
        await self.monitor.start(settings, host=settings.health_host, port=port, serve=not roles.slack_http)
        self._stops.append(self.monitor.stop)
        log.info("PeerLoop is running: %s", ", ".join(roles.names()))

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
        for stop in reversed(self._stops):
            try:
                await stop()
            except Exception as exc:  # keep stopping the rest
                log.warning("stopping failed: %s", type(exc).__name__)
        self._stops.clear()


def rate_limit_of(settings: Settings) -> RateLimit:
    """The per-member limit on commands and presses that ``RATE_LIMIT_*`` set."""
    from bot.core.limits import RateLimit

    return RateLimit(settings.rate_limit_burst, settings.rate_limit_per_second)


async def run_until_stopped(settings: Settings, roles: Roles, stopping: asyncio.Event) -> int:
    from bot.app import build_app
    from bot.ops.cli import warn_if_tokens_unencrypted

    log.info("starting PeerLoop: %s", settings.describe())
    warn_if_tokens_unencrypted(settings)
    app = await build_app(settings.database_url, retention_days=settings.retention_days,
                          rate_limit=rate_limit_of(settings))
    process = Process(app, settings, roles)
    try:
        await process.start()
        await stopping.wait()
    finally:
        await process.stop()
        await app.close()
    return 0
