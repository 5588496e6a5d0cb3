"""Installing the Slack face in many workspaces through bolt's OAuth flow.

Used when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set (instead of one
``SLACK_BOT_TOKEN``):

- ``GET /slack/install`` issues a state (stored in the database, valid once for ten
  minutes, and also set as a cookie in the installer's browser) and redirects to Slack's
  authorize page (``SLACK_OAUTH_AUTHORIZE_URL``) with the bot scopes of ``slack/manifest.yml``;
- ``GET /slack/oauth_redirect?code=…&state=…`` checks the state against the cookie and
  the database, exchanges the code with ``oauth.v2.access`` (at ``SLACK_API_BASE_URL``) and
  keeps the installation in PeerLoop's database (:mod:`bot.storage.slack_installations`);
- each request from Slack is then answered with its own workspace's bot token, and
  ``app_uninstalled`` / ``tokens_revoked`` delete what that workspace left behind;
- with token rotation turned on in the app's settings, Slack's bot tokens expire after twelve
  hours and come with a refresh token: bolt refreshes a workspace's token when a request
  finds it expiring within ``SLACK_TOKEN_ROTATION_MINUTES`` (120), the outbox's chat port does
  the same before it sends, and the new tokens are stored (encrypted) in place of the old.
"""

from __future__ import annotations

from functools import lru_cache

import yaml
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from bot.adapters.slack_chat import make_client
from bot.adapters.slack_manifest import MANIFEST_PATH
from bot.adapters.slack_workspaces import WorkspaceSlackChat
from bot.app import App
from bot.core.models import Community
from bot.settings import Settings
from bot.storage.slack_installations import SqlInstallationStore, SqlOAuthStateStore
from bot.storage.token_cipher import TokenCipher

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600


@lru_cache(maxsize=1)
def manifest_bot_scopes() -> tuple[str, ...]:
    """The bot scopes the manifest declares: the install asks for exactly these."""
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    return tuple(data["oauth_config"]["scopes"]["bot"])


def oauth_settings(app: App, settings: Settings) -> AsyncOAuthSettings:
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(manifest_bot_scopes()),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,  # straight to Slack's authorize page
        authorization_url=settings.slack_oauth_authorize_url,
        installation_store=SqlInstallationStore(
            app.db.engine, settings.slack_client_id, TokenCipher.from_setting(settings.secrets_keys)
        ),
        state_store=SqlOAuthStateStore(app.db.engine, expiration_seconds=STATE_SECONDS),
        state_expiration_seconds=STATE_SECONDS,
        token_rotation_expiration_minutes=settings.slack_token_rotation_minutes,
    )
    rotator = getattr(oauth.authorize, "token_rotator", None)
    if (
        rotator is not None
    ):  # bolt's rotator calls slack.com: ours calls SLACK_API_BASE_URL, with retries
        rotator.client = make_client(None, settings.slack_api_base_url)
    return oauth


def workspace_chat(
    app: App, settings: Settings, store: AsyncInstallationStore
) -> WorkspaceSlackChat:
    """The chat port for messages nobody asked for: each workspace's own bot token."""
    assert isinstance(store, SqlInstallationStore)
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    rotator = AsyncTokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=make_client(None, settings.slack_api_base_url),
    )

    async def token_for_team(team_id: str) -> str | None:
        """The workspace's bot token, refreshed first when it expires soon (token rotation)."""
        bot = await store.async_find_bot_for_team(team_id)
        if bot is None:
            return None
        try:
            refreshed = await rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=settings.slack_token_rotation_minutes
            )
        except SlackTokenRotationError:
            # Another process may have refreshed it a moment ago (a refresh token works once):
            # its new token is stored; without one the delivery is retried later.
            again = await store.async_find_bot_for_team(team_id)
            return (
                again.bot_token if again is not None and again.bot_token != bot.bot_token else None
            )
        if refreshed is None:
            return bot.bot_token
        await store.async_save_bot(refreshed)
        return refreshed.bot_token

    async def community(community_id: str) -> Community | None:
        async with app.db.uow() as tx:
            return await tx.communities.get(community_id)

    return WorkspaceSlackChat(settings.slack_api_base_url, token_for_team, community)


def add_oauth_routes(web_app: web.Application, bolt: AsyncApp) -> None:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect`` on the aiohttp app."""
    flow = bolt.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def callback(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    web_app.router.add_get(flow.install_path, install)
    web_app.router.add_get(flow.redirect_uri_path, callback)
