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
from typing import TYPE_CHECKING, Any

from bot.ops.roles import Roles
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import App
    from bot.core.limits import RateLimit

log = logging.getLogger("peerloop")

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

    from bot.adapters.discord_chat import RATE_LIMIT_WAIT, DiscordChat
    from bot.adapters.discord_client import configure_discord_endpoints
    from bot.cogs.client import quiet_payload_logs
    from bot.core.models import Platform

    assert settings.discord_token is not None
    configure_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
    quiet_payload_logs()
    client = discord.Client(
        intents=discord.Intents.none(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=RATE_LIMIT_WAIT,
    )
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
    return SlackChat(
        make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base_url)
    )


# -- running -------------------------------------------------------------------------------------


class Process:
    """One ``peerloop run`` process: :meth:`start` what its roles say, :meth:`stop` it all."""

    def __init__(
        self,
        app: App,
        settings: Settings,
        roles: Roles,
        *,
        health_port: int | None = None,
        sweep_seconds: float | None = None,
        discord_options: Mapping[str, Any] | None = None,
    ) -> None:
        from bot.ops.health import Monitor
        from bot.scheduling.runtime import DEFAULT_SWEEP_SECONDS, SchedulerRuntime

        self.app = app
        self.settings = settings
        self.roles = roles
        self.runtime = (
            SchedulerRuntime(app, sweep_seconds=sweep_seconds or DEFAULT_SWEEP_SECONDS)
            if roles.worker
            else None
        )
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
            from bot.cogs.client import start_discord

            self.discord = await start_discord(app, settings, **self.discord_options)
            self._stops.append(self.discord.close)
            self.monitor.discord = self.discord
        elif roles.worker and settings.discord_enabled:
            rest = await start_rest_discord(app, settings)
            self._stops.append(rest.close)
        if roles.slack_http or roles.slack_socket:
            from bot.listeners.slack import start_slack

            _runner, stop_slack = await start_slack(
                app,
                settings,
                routes=self.monitor.routes(),
                http=roles.slack_http,
                socket=roles.slack_socket,
            )
            self._stops.append(stop_slack)
        elif roles.worker and settings.slack_enabled:
            app.chats[Platform.SLACK] = rest_slack_chat(app, settings)
        if self.runtime is not None:
            await self.runtime.start()
        port = self.health_port if self.health_port is not None else settings.health_port
        await self.monitor.start(
            settings, host=settings.health_host, port=port, serve=not roles.slack_http
        )
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
    app = await build_app(
        settings.database_url,
        retention_days=settings.retention_days,
        rate_limit=rate_limit_of(settings),
        loop_templates_dir=settings.loop_templates_dir,
    )
    from bot.ops.gc_tuning import tune_for_server

    log.info("garbage collector thresholds: %s", tune_for_server() or "Python's defaults")
    process = Process(app, settings, roles)
    try:
        await process.start()
        await stopping.wait()
    finally:
        await process.stop()
        await app.close()
    return 0
