"""Socket Mode with OAuth installs: bolt's ``AsyncSocketModeHandler`` connected to a fake
Socket Mode websocket, the installs done over HTTP (``/slack/install``, served beside the
socket), and every envelope answered with its own workspace's installation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import build_app
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.settings import Settings
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.fake_slack_socket import FakeSocketMode
from tests.listeners.test_slack import listeners_done
from tests.listeners.test_slack_oauth import CLIENT_ID, CLIENT_SECRET, SECRET, Rig, serve, tokens_of

APP_TOKEN = "xapp-1-A1-test"


@pytest.fixture
async def socket_rig(
    database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Rig, FakeSocketMode]]:
    fake = FakeSlack()
    await fake.start()
    fake.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    socket = FakeSocketMode(fake)
    await socket.start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=None,
        slack_signing_secret=SECRET,
        slack_app_token=APP_TOKEN,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_oauth_authorize_url=f"{fake.url}/oauth/v2/authorize",
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
    )
    app = await build_app(database_url, clock=clock)
    server = await serve(app, settings)  # Socket Mode, plus HTTP for the install pages
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            yield Rig(fake, settings, session, server, database_url, clock), socket
    finally:
        await server.stop()
        await app.close()
        await socket.stop()
        await fake.stop()
    assert fake.invalid == []


async def test_socket_mode_answers_each_installed_workspace_with_its_own_token(
    socket_rig: tuple[Rig, FakeSocketMode],
) -> None:
    rig, socket = socket_rig
    fake = rig.fake
    await socket.wait_connected()
    assert tokens_of(fake, "apps.connections.open") == [
        APP_TOKEN
    ]  # the app-level token, nothing else
    acme, globex = fake.workspace("T1", "acme"), fake.workspace("T2", "globex")

    # Not installed yet: acknowledged, told to reinstall, nothing stored.
    ack = await socket.send("slash_commands", socket.command("T1", "UALICE", "help"))
    assert ack["envelope_id"].startswith("env-")
    await fake.wait_for(
        lambda: any(a["key"].startswith("T1-sock-") for a in fake.of("response_url"))
    )
    assert (
        "reinstall"
        in str([a for a in fake.of("response_url") if a["key"].startswith("T1-sock-")]).lower()
    )
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "T1") is None

    await rig.install(acme)
    await rig.install(globex)
    for team, user in (("T1", "UALICE"), ("T2", "UBOB"), ("T1", "UCAROL")):
        before = fake.count("views.open")
        ack = await socket.send("slash_commands", socket.command(team, user, "", team_name="x"))
        assert "envelope_id" in ack
        await fake.wait_for(lambda before=before: fake.count("views.open") == before + 1)
        assert tokens_of(fake, "views.open")[-1] == fake.token_of(team)
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "T2") is not None

    # An event over the socket, then Slack's retry of it: handled once, with the team's token.
    home = {"type": "app_home_opened", "user": "UBOB", "tab": "home", "channel": "D1"}
    await socket.send("events_api", socket.event("T2", home, "EvSock1"))
    await fake.wait_for(lambda: fake.count("views.publish") == 1)
    await socket.send("events_api", socket.event("T2", home, "EvSock1"), retry_attempt=1)
    await socket.send("slash_commands", socket.command("T2", "UBOB", "help"))  # something after it
    await asyncio.sleep(0.3)
    await listeners_done()
    assert fake.count("views.publish") == 1
    assert tokens_of(fake, "views.publish") == [fake.token_of("T2")]
