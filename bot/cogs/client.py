"""Building and running the Discord face: the client, its commands, its chat port, the invite link.

``peerloop run`` calls :func:`start_discord` when ``DISCORD_TOKEN`` is set and closes
the returned :class:`RunningDiscord` on shutdown.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.adapters.discord_chat import RATE_LIMIT_WAIT, DiscordChat
from bot.adapters.discord_client import configure_discord_endpoints
from bot.app import App
from bot.cogs.mock import PeerLoopClient, setup
from bot.core.models import Platform
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Exactly what PeerLoop needs: post and read in its channel, open private pair threads
#: and post in them with embeds and calendar files. No privileged intents.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_private_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)
#: What each session's private voice channel and scheduled event need (docs/discord.md):
#: making and removing the channel, letting the pair (and denying everyone else) Connect and
#: Speak there (a bot may grant or deny only what it holds), and the events.
VOICE_PERMISSIONS = discord.Permissions(
    manage_channels=True,
    connect=True,
    speak=True,
    create_events=True,
)
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int | str, *, voice: bool = True) -> str:
    """The link a server admin opens to add PeerLoop with the permissions above (without the
    voice channels' and events' with ``voice=False``)."""
    permissions = BOT_PERMISSIONS | VOICE_PERMISSIONS if voice else BOT_PERMISSIONS
    return discord.utils.oauth_url(int(application_id), permissions=permissions, scopes=SCOPES)


class _Client(PeerLoopClient):
    def __init__(self, dev_guild_id: int | None, **options: object) -> None:
        super().__init__(**options)
        self.dev_guild_id = dev_guild_id

    async def setup_hook(self) -> None:
        shard_ids = getattr(self, "shard_ids", None)
        if shard_ids is not None and 0 not in shard_ids:
            return  # the process with shard 0 syncs the commands for all of them
        if self.dev_guild_id:
            guild = discord.Object(self.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("Discord commands synced to the development server")
        else:
            await self.tree.sync()
            log.info("Discord commands synced globally (they can take a while to appear)")


#: discord.py loggers whose DEBUG lines carry whole payloads (what members typed, what
#: PeerLoop sent them): those lines are dropped, everything else they log is kept.
PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook.async_")


class _NoPayloadsAtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def quiet_payload_logs() -> None:
    """No member text in the logs at any level, DEBUG included (idempotent)."""
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoPayloadsAtDebug) for f in logger.filters):
            logger.addFilter(_NoPayloadsAtDebug())


class _ShardedClient(_Client, discord.AutoShardedClient):
    """The same client over the shards ``SHARD_IDS`` of ``SHARD_COUNT``: Discord sends each
    guild's events to shard ``(guild_id >> 22) % SHARD_COUNT`` only, so processes that own
    distinct shards never see the same interaction."""


def build_discord_client(app: App, settings: Settings, **options: object) -> PeerLoopClient:
    """A client with ``/mock`` and ``/mockadmin``; commands sync when it logs in (sharded when
    ``SHARD_COUNT`` is set)."""
    # Nobody is pinged unless a message names them: each message allows exactly the members
    # it addresses (``render_message``), this default covers anything else.
    client_options: dict[str, object] = {
        "intents": discord.Intents.default(),
        "allowed_mentions": discord.AllowedMentions.none(),
        # a longer rate limit is handed to the outbox (bot/adapters/discord_chat.py)
        "max_ratelimit_timeout": RATE_LIMIT_WAIT,
    }
    client_options.update(options)
    quiet_payload_logs()
    shards = settings.discord_shards
    if shards is not None:
        count, ids = shards
        client_options.update(shard_count=count, shard_ids=ids)
        client: PeerLoopClient = _ShardedClient(settings.discord_dev_guild_id, **client_options)
        log.info("Discord: shards %s of %d", ",".join(map(str, ids)), count)
    else:
        client = _Client(settings.discord_dev_guild_id, **client_options)
    setup(client, app)
    return client


#: How long a stop waits for the interactions being handled (Discord allows 15 minutes for a
#: followup, a deploy's grace period is usually 30 s).
FINISH_WITHIN = 10.0


class RunningDiscord:
    """The running face: ``await running.wait()`` until it stops, ``await running.close()`` to stop."""

    def __init__(self, client: discord.Client, task: asyncio.Task[None]) -> None:
        self.client = client
        self.task = task

    async def wait(self) -> None:
        """Until the client stops."""
        await self.task

    async def close(self) -> None:
        """Let the interactions being handled finish and answer (a form's submit, a press that
        is writing), at most :data:`FINISH_WITHIN` seconds, then close the connection."""
        face = getattr(self.client, "face", None)
        if face is not None:
            try:
                await face.wait_idle(FINISH_WITHIN)
            except TimeoutError:
                log.warning("stopping with Discord interactions still being handled")
        await self.client.close()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), 10)
        except asyncio.CancelledError:
            pass
        except Exception:  # a failed login or connection: already over, say why once
            log.exception("the Discord client had stopped with an error")


async def start_discord(app: App, settings: Settings, **options: object) -> RunningDiscord:
    """Point discord.py at the configured endpoints, register the chat port, start the client."""
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    configure_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
    client = build_discord_client(app, settings, **options)
    app.chats[Platform.DISCORD] = DiscordChat(client)
    token = settings.discord_token.get_secret_value()
    task = asyncio.create_task(client.start(token), name="peerloop-discord")
    return RunningDiscord(client, task)
