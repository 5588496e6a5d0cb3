"""Slack token rotation for OAuth installs, against the fake Web API's ``oauth.v2.access``
with ``grant_type=refresh_token``: bolt refreshes a workspace's expiring bot token before it
answers a request, the outbox's chat port refreshes before it sends, each refresh token is
used once, and the new tokens replace the old ones, encrypted at rest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage
from bot.core.models import Platform
from bot.settings import Settings
from bot.storage.slack_installations import BOTS, INSTALLATIONS, SqlInstallationStore
from bot.storage.token_cipher import TokenCipher
from tests.fakes.fake_slack import FakeSlack
from tests.listeners.test_slack_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    SECRET,
    Rig,
    open_schedule_form,
    serve,
    tokens_of,
)

TWELVE_HOURS = 12 * 3600


@pytest.fixture
async def rig(database_url: str, clock: FakeClock) -> AsyncIterator[Rig]:
    fake = FakeSlack()
    await fake.start()
    fake.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    fake.rotation_seconds = TWELVE_HOURS
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=None,
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_oauth_authorize_url=f"{fake.url}/oauth/v2/authorize",
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
        secrets_keys=Fernet.generate_key().decode(),
    )
    app = await build_app(database_url, clock=clock)
    server = await serve(app, settings)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield Rig(fake, settings, session, server, database_url, clock)
    await server.stop()
    await server.app.close()
    await fake.stop()
    assert fake.invalid == [] and fake.expired_uses == []


def store(rig: Rig) -> SqlInstallationStore:
    return SqlInstallationStore(
        rig.app.db.engine, CLIENT_ID, TokenCipher.from_setting(rig.settings.secrets_keys)
    )


async def raw_columns(app: App) -> str:
    async with app.db.engine.connect() as conn:
        rows = [
            *(await conn.execute(select(INSTALLATIONS))).all(),
            *(await conn.execute(select(BOTS))).all(),
        ]
    return repr(rows)


async def test_bolt_refreshes_an_expiring_token_and_stores_the_new_ones_encrypted(rig: Rig) -> None:
    fake = rig.fake
    acme = fake.workspace("T1", "acme")
    fake.rotation_seconds = 3600  # the install's token expires within the two hours bolt allows
    await rig.install(acme)
    first = fake.token_of("T1")
    installed = await store(rig).async_find_installation(enterprise_id=None, team_id="T1")
    assert installed is not None and first is not None and installed.bot_token == first
    first_refresh = installed.bot_refresh_token
    assert first_refresh is not None and first_refresh.startswith("xoxe-1-")
    fake.rotation_seconds = TWELVE_HOURS

    # The next request from the workspace: refreshed first, answered with the new token.
    used = await open_schedule_form(rig, acme, "UALICE")
    assert fake.refresh_uses() == [first_refresh]
    second = fake.token_of("T1")
    assert used == second and second != first
    renewed = await store(rig).async_find_installation(enterprise_id=None, team_id="T1")
    bot = await store(rig).async_find_bot(enterprise_id=None, team_id="T1")
    assert renewed is not None and bot is not None
    assert renewed.bot_token == bot.bot_token == second
    assert renewed.bot_refresh_token == bot.bot_refresh_token != first_refresh
    # at rest: neither token nor refresh token in the clear
    raw = await raw_columns(rig.app)
    for secret in (first, second, first_refresh, renewed.bot_refresh_token):
        assert secret is not None and secret not in raw

    # Twelve hours left: no refresh on the next request.
    assert await open_schedule_form(rig, acme, "UBOB") == second
    assert len(fake.refresh_uses()) == 1


async def test_the_outbox_refreshes_before_it_sends_and_each_refresh_token_works_once(
    rig: Rig,
) -> None:
    fake = rig.fake
    globex = fake.workspace("T2", "globex")
    await rig.install(globex)
    await open_schedule_form(
        rig, globex, "UBOB"
    )  # Bob becomes a member; twelve hours left: no refresh
    assert fake.refresh_uses() == []
    async with rig.app.db.uow() as tx:
        community = await tx.communities.find(Platform.SLACK, "T2")
        assert community is not None
        bob = await tx.members.find(community.id, "UBOB")
    assert bob is not None
    chat = rig.app.chats[Platform.SLACK]
    await chat.send_direct(bob, OutboundMessage(text="Your match is ready"))
    assert (
        tokens_of(fake, "chat.postMessage")[-1] == fake.token_of("T2") and fake.refresh_uses() == []
    )

    # A process that refreshes when a token has less than 13 hours left: every send refreshes.
    rotating = rig.settings.model_copy(update={"slack_token_rotation_minutes": 13 * 60})
    from bot.listeners.slack_oauth import oauth_settings, workspace_chat

    eager = workspace_chat(rig.app, rotating, oauth_settings(rig.app, rotating).installation_store)
    before = fake.token_of("T2")
    await eager.send_direct(bob, OutboundMessage(text="Reminder"))
    after = fake.token_of("T2")
    assert after != before and tokens_of(fake, "chat.postMessage")[-1] == after
    await eager.send_direct(bob, OutboundMessage(text="Another"))
    uses = fake.refresh_uses()
    assert len(uses) == 2 and len(set(uses)) == 2  # a fresh refresh token each time
    # The app's own chat port and bolt now use the newest token, through the same store.
    await chat.send_direct(bob, OutboundMessage(text="Again"))
    assert tokens_of(fake, "chat.postMessage")[-1] == fake.token_of("T2")
    assert await open_schedule_form(rig, globex, "UBOB") == fake.token_of("T2")
    # A refresh token already used is refused by Slack.
    stale = SqlInstallationStore(
        rig.app.db.engine, CLIENT_ID, TokenCipher.from_setting(rig.settings.secrets_keys)
    )
    current = await stale.async_find_bot_for_team("T2")
    assert current is not None and current.bot_refresh_token not in uses
