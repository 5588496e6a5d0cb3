"""Installing PeerLoop in several Slack workspaces through bolt's OAuth flow.

The install runs over HTTP against the aiohttp server the way a browser and Slack drive
it: ``GET /slack/install`` (a redirect to the authorize page, with a state and a state
cookie), then Slack's redirect back to ``GET /slack/oauth_redirect?code=…&state=…``, for
which bolt calls ``oauth.v2.access`` on the fake Web API. Requests from each workspace
must then be answered with that workspace's own bot token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage
from bot.core.models import Platform
from bot.core.ports import TemporaryDeliveryError
from bot.listeners.slack import start_slack
from bot.listeners.slack_oauth import manifest_bot_scopes
from bot.settings import Settings
from bot.storage.slack_installations import INSTALLATIONS, SqlInstallationStore
from tests.conftest import eventually
from tests.fakes.fake_slack import FakeSlack, SlackSender, Workspace

SECRET = "test-signing-secret"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "oauth-client-secret"
STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class Server:
    app: App
    base: str
    stop: Callable[[], Awaitable[None]]


@dataclass
class Rig:
    fake: FakeSlack
    settings: Settings
    session: aiohttp.ClientSession
    server: Server
    database_url: str
    clock: FakeClock

    @property
    def app(self) -> App:
        return self.server.app

    def sender(self, team: Workspace) -> SlackSender:
        return SlackSender(self.session, f"{self.server.base}/slack/events", SECRET, team)

    async def install_url(self) -> tuple[str, str, dict[str, list[str]]]:
        """GET /slack/install: (state, cookie value, authorize URL query)."""
        async with self.session.get(
            f"{self.server.base}/slack/install", allow_redirects=False
        ) as resp:
            assert resp.status == 302
            location = resp.headers["Location"]
            cookie = resp.cookies[STATE_COOKIE].value
        assert location.startswith(f"{self.fake.url}/oauth/v2/authorize?")
        query = parse_qs(urlparse(location).query)
        return query["state"][0], cookie, query

    async def callback(self, code: str, state: str, cookie: str | None) -> tuple[int, str]:
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie else {}
        async with self.session.get(
            f"{self.server.base}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers=headers,
            allow_redirects=False,
        ) as resp:
            return resp.status, await resp.text()

    async def install(self, team: Workspace) -> None:
        state, cookie, _ = await self.install_url()
        status, page = await self.callback(
            self.fake.authorize(team.team_id, team.team_name), state, cookie
        )
        assert status == 200, page

    async def installations(self) -> int:
        async with self.app.db.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(INSTALLATIONS)) or 0)


async def serve(app: App, settings: Settings) -> Server:
    runner, stop = await start_slack(app, settings, host="127.0.0.1")
    return Server(app, f"http://127.0.0.1:{runner.addresses[0][1]}", stop)


@pytest.fixture
async def rig(database_url: str, clock: FakeClock) -> AsyncIterator[Rig]:
    fake = FakeSlack()
    await fake.start()
    fake.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    settings = Settings(
        slack_bot_token=None,
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_oauth_authorize_url=f"{fake.url}/oauth/v2/authorize",
        slack_api_base_url=fake.api_url,
        slack_http_port=0,
    )
    app = await build_app(database_url, clock=clock)
    server = await serve(app, settings)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        rig = Rig(fake, settings, session, server, database_url, clock)
        yield rig
    await rig.server.stop()
    await rig.server.app.close()
    await fake.stop()
    assert fake.invalid == [], "the app sent blocks or views Slack would refuse"


def tokens_of(fake: FakeSlack, method: str) -> list[str | None]:
    return [token for name, token in fake.tokens if name == method]


async def refused(rig: Rig, team: Workspace, user: str, text: str) -> str:
    """A command from a workspace PeerLoop is not installed in: bolt answers through the
    response URL that the app must be reinstalled; nothing else happens."""
    opened, posted = rig.fake.count("views.open"), rig.fake.count("chat.postEphemeral")
    status, body, key = await rig.sender(team).command(user, text)
    assert status == 200 and body == ""

    def answers() -> list[Any]:
        return [a for a in rig.fake.of("response_url") if a["key"] == f"{team.team_id}-{key}"]

    await rig.fake.wait_for(lambda: len(answers()) == 1)
    assert (rig.fake.count("views.open"), rig.fake.count("chat.postEphemeral")) == (opened, posted)
    return str(answers()[0]["text"])


async def open_schedule_form(rig: Rig, team: Workspace, user: str) -> str | None:
    """``/mock`` from ``user`` in ``team``; the token the app used to open the form."""
    before = rig.fake.count("views.open")
    status, _, _ = await rig.sender(team).command(user, "")
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.open") == before + 1)
    return tokens_of(rig.fake, "views.open")[-1]


async def test_install_in_two_workspaces_and_answer_each_with_its_own_token(rig: Rig) -> None:
    fake = rig.fake
    acme, globex = fake.workspace("T1", "acme"), fake.workspace("T2", "globex")

    state, cookie, query = await rig.install_url()
    assert cookie == state and len(state) >= 32
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(manifest_bot_scopes())
    status, page = await rig.callback(
        fake.authorize("T1", "acme", installer="UADMIN"), state, cookie
    )
    assert status == 200, page
    exchange = fake.of("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0]["code"].startswith("code-T1-")
    await rig.install(globex)

    store = SqlInstallationStore(rig.app.db.engine, CLIENT_ID)
    first = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert (
        first is not None and first.bot_token == fake.token_of("T1") and first.user_id == "UADMIN"
    )
    assert first.team_name == "acme" and first.bot_id == "BT1" and first.bot_user_id == "UBOTT1"
    assert await rig.installations() == 2
    assert fake.token_of("T1") != fake.token_of("T2")

    assert await open_schedule_form(rig, acme, "UALICE") == fake.token_of("T1")
    assert await open_schedule_form(rig, globex, "UBOB") == fake.token_of("T2")
    assert await open_schedule_form(rig, acme, "UCAROL") == fake.token_of("T1")
    # bolt checked each request's token with auth.test before running the listener
    assert set(tokens_of(fake, "auth.test")) == {fake.token_of("T1"), fake.token_of("T2")}

    # each workspace is its own community, and messages nobody asked for go out with its token
    async with rig.app.db.uow() as tx:
        acme_community = await tx.communities.find(Platform.SLACK, "T1")
        bob = await tx.members.find((await tx.communities.find(Platform.SLACK, "T2")).id, "UBOB")  # type: ignore[union-attr]
    assert acme_community is not None and bob is not None
    await rig.app.chats[Platform.SLACK].send_direct(
        bob, OutboundMessage(text="Your match is ready")
    )
    assert tokens_of(fake, "chat.postMessage")[-1] == fake.token_of("T2")
    assert fake.of("chat.postMessage")[-1]["channel"] == "DUBOB"


async def test_a_bad_or_reused_state_is_refused_and_stores_nothing(rig: Rig) -> None:
    fake = rig.fake
    # a state nobody issued (even with a matching cookie)
    status, _ = await rig.callback(fake.authorize("T1", "acme"), "forged-state", "forged-state")
    assert status == 401
    # an issued state without the installer's browser cookie
    state, cookie, _ = await rig.install_url()
    status, _ = await rig.callback(fake.authorize("T1", "acme"), state, None)
    assert status == 400
    # a code Slack never issued
    status, _ = await rig.callback("code-made-up", state, cookie)
    assert status == 401
    assert fake.count("oauth.v2.access") == 1  # only that last one got as far as the exchange
    assert await rig.installations() == 0

    # the state was consumed by the attempt above: it cannot be used again
    status, _ = await rig.callback(fake.authorize("T1", "acme"), state, cookie)
    assert status == 401
    # a good install, then the same state replayed with a fresh code
    state, cookie, _ = await rig.install_url()
    status, _ = await rig.callback(fake.authorize("T1", "acme"), state, cookie)
    assert status == 200
    status, _ = await rig.callback(fake.authorize("T9", "evil"), state, cookie)
    assert status == 401
    assert await rig.installations() == 1
    assert fake.count("oauth.v2.access") == 2
    store = SqlInstallationStore(rig.app.db.engine, CLIENT_ID)
    assert await store.async_find_bot(enterprise_id=None, team_id="T9") is None


async def test_a_workspace_that_never_installed_is_not_served(rig: Rig) -> None:
    answer = await refused(rig, rig.fake.workspace("T3", "initech"), "UZED", "help")
    assert "reinstall" in answer.lower()
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "T3") is None


async def test_app_uninstalled_removes_the_installation(rig: Rig) -> None:
    fake = rig.fake
    acme, globex = fake.workspace("T1", "acme"), fake.workspace("T2", "globex")
    await rig.install(acme)
    await rig.install(globex)
    assert await open_schedule_form(rig, acme, "UALICE") == fake.token_of("T1")

    fake.uninstall("T1")
    status, _ = await rig.sender(acme).event({"type": "app_uninstalled"})
    assert status == 200
    store = SqlInstallationStore(rig.app.db.engine, CLIENT_ID)

    async def gone() -> bool:
        return await store.async_find_bot(enterprise_id=None, team_id="T1") is None

    await eventually(gone, what="the workspace's bot to be removed")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await rig.installations() == 1

    assert "reinstall" in (await refused(rig, acme, "UALICE", "")).lower()
    # messages nobody asked for cannot reach the workspace: the outbox will retry, then give up
    async with rig.app.db.uow() as tx:
        alice = await tx.members.find(
            (await tx.communities.find(Platform.SLACK, "T1")).id, "UALICE"
        )  # type: ignore[union-attr]
    assert alice is not None
    posts = fake.count("chat.postMessage")
    with pytest.raises(TemporaryDeliveryError, match="not installed"):
        await rig.app.chats[Platform.SLACK].send_direct(alice, OutboundMessage(text="Reminder"))
    assert fake.count("chat.postMessage") == posts
    # the other workspace is still served
    assert await open_schedule_form(rig, globex, "UBOB") == fake.token_of("T2")


async def test_tokens_revoked_removes_the_bot(rig: Rig) -> None:
    acme = rig.fake.workspace("T1", "acme")
    await rig.install(acme)
    status, _ = await rig.sender(acme).event(
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOTT1"]}}
    )
    assert status == 200
    store = SqlInstallationStore(rig.app.db.engine, CLIENT_ID)

    async def gone() -> bool:
        return await store.async_find_bot(enterprise_id=None, team_id="T1") is None

    await eventually(gone, what="the workspace's bot to be removed")
    assert "reinstall" in (await refused(rig, acme, "UALICE", "")).lower()


async def test_installations_survive_a_restart(rig: Rig) -> None:
    fake = rig.fake
    globex = fake.workspace("T2", "globex")
    await rig.install(globex)
    await rig.server.stop()
    await rig.server.app.close()

    # a new process: a new Database object on the same file, a new bolt app and server
    app = await build_app(rig.database_url, clock=rig.clock)
    rig.server = await serve(app, rig.settings)
    assert await open_schedule_form(rig, globex, "UBOB") == fake.token_of("T2")
    assert fake.count("oauth.v2.access") == 1


def test_oauth_is_on_only_with_both_client_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # a copied .env.example: empty values are "not set"
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=\nSLACK_CLIENT_ID=\nSLACK_CLIENT_SECRET=\nSLACK_HTTP_PORT=\n"
    )
    empty = Settings()
    assert (empty.slack_oauth_enabled, empty.slack_enabled, empty.slack_http_port) == (
        False,
        False,
        3000,
    )
    (tmp_path / ".env").write_text("SLACK_CLIENT_ID=1111.2222\n")
    assert Settings().slack_oauth_enabled is False
    (tmp_path / ".env").write_text("SLACK_CLIENT_ID=1111.2222\nSLACK_CLIENT_SECRET=s3cret\n")
    both = Settings()
    assert both.slack_oauth_enabled and both.slack_enabled
    assert "s3cret" not in repr(both) and "s3cret" not in str(both.describe())


async def test_events_and_presses_from_a_workspace_that_is_not_installed_do_nothing(
    rig: Rig,
) -> None:
    """App Home opened, or a button pressed, in a workspace without an installation (never
    installed, or uninstalled): acknowledged, nothing stored, nothing published."""
    initech = rig.fake.workspace("T3", "initech")
    status, _ = await rig.sender(initech).event(
        {"type": "app_home_opened", "user": "UZED", "tab": "home", "channel": "D1"}
    )
    assert status == 200
    status, _, key = await rig.sender(initech).click("UZED", "pl:session.confirm:s1", "C1")
    assert status == 200
    await rig.fake.wait_for(
        lambda: any(a["key"] == f"T3-{key}" for a in rig.fake.of("response_url"))
    )
    assert rig.fake.count("views.publish") == 0
    async with rig.app.db.uow() as tx:
        assert await tx.communities.find(Platform.SLACK, "T3") is None
