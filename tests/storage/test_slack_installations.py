"""Slack installations and install states in PeerLoop's database (migration 0005)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import func, select

from bot.app import App
from bot.storage.slack_installations import (
    BOTS,
    INSTALLATIONS,
    STATES,
    SqlInstallationStore,
    SqlOAuthStateStore,
)
from tests.conftest import schema_drift

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def install(
    team: str = "T1",
    *,
    user: str = "UADMIN",
    token: str = "xoxb-t1",
    at: datetime = T0,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise,
        enterprise_name="Big Org" if enterprise else None,
        team_id=None if org_wide else team,
        team_name=None if org_wide else f"team {team}",
        bot_token=token,
        bot_id="B" + team,
        bot_user_id="UBOT" + team,
        bot_scopes=["commands", "chat:write"],
        user_id=user,
        user_token=f"xoxp-{user}",
        user_scopes="search:read",
        is_enterprise_install=org_wide,
        token_type="bot",
        installed_at=at,
    )


async def count(app: App, table: object) -> int:
    async with app.db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def test_migration_creates_the_slack_tables_as_modelled(app: App) -> None:
    assert await schema_drift(app, "slack_") == []


async def test_save_and_find_the_newest_installation(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None

    await store.async_save(install(token="xoxb-old", at=T0))
    await store.async_save(install(token="xoxb-new", user="UOTHER", at=T0 + timedelta(minutes=5)))
    await store.async_save(install("T2", token="xoxb-t2"))

    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-new" and bot.bot_id == "BT1"
    assert bot.bot_scopes == ["commands", "chat:write"]
    assert datetime.fromtimestamp(bot.installed_at, UTC) == T0 + timedelta(minutes=5)
    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.user_id == "UOTHER" and latest.user_token == "xoxp-UOTHER"
    # an installer's own older install comes back with the newest bot token
    own = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="UADMIN")
    assert own is not None and own.user_token == "xoxp-UADMIN" and own.bot_token == "xoxb-new"
    other = await store.async_find_bot(enterprise_id=None, team_id="T2")
    assert other is not None and other.bot_token == "xoxb-t2"
    by_team = await store.async_find_bot_for_team("T2")
    assert by_team is not None and by_team.bot_token == "xoxb-t2"
    # another Slack app sharing the database sees none of it
    assert (
        await SqlInstallationStore(app.db.engine, "client-2").async_find_bot(
            enterprise_id=None, team_id="T1"
        )
        is None
    )


async def test_saving_the_same_install_again_updates_it(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1")
    await store.async_save(install(token="xoxb-before"))
    await store.async_save(install(token="xoxb-rotated"))
    assert await count(app, INSTALLATIONS) == 1 and await count(app, BOTS) == 1
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-rotated"


async def test_enterprise_and_org_wide_installs(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1")
    await store.async_save(install("T9", enterprise="E1", token="xoxb-grid-workspace"))
    await store.async_save(install(enterprise="E1", org_wide=True, token="xoxb-org"))

    workspace = await store.async_find_bot(enterprise_id="E1", team_id="T9")
    assert workspace is not None and workspace.bot_token == "xoxb-grid-workspace"
    # a request from any workspace of the organisation finds the org-wide install
    org = await store.async_find_bot(enterprise_id="E1", team_id="T5", is_enterprise_install=True)
    assert org is not None and org.bot_token == "xoxb-org" and org.is_enterprise_install
    found = await store.async_find_installation(
        enterprise_id="E1", team_id="T5", is_enterprise_install=True
    )
    assert found is not None and found.enterprise_name == "Big Org" and found.team_id is None
    # without the enterprise id nothing matches
    assert await store.async_find_bot(enterprise_id=None, team_id="T9") is None

    await store.async_delete_all(enterprise_id="E1", team_id=None)
    assert (
        await store.async_find_bot(enterprise_id="E1", team_id="T5", is_enterprise_install=True)
        is None
    )
    assert await store.async_find_bot(enterprise_id="E1", team_id="T9") is not None


async def test_bot_only_install(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1")
    await store.async_save_bot(
        Bot(
            app_id="A1",
            enterprise_id=None,
            team_id="T3",
            team_name="three",
            bot_token="xoxb-3",
            bot_id="B3",
            bot_user_id="U3",
            installed_at=T0,
        )
    )
    bot = await store.async_find_bot(enterprise_id=None, team_id="T3")
    assert bot is not None and bot.bot_token == "xoxb-3" and bot.bot_scopes == []
    assert await store.async_find_installation(enterprise_id=None, team_id="T3") is None
    await store.async_delete_bot(enterprise_id=None, team_id="T3")
    assert await store.async_find_bot(enterprise_id=None, team_id="T3") is None


async def test_delete_installation_per_user_and_all(app: App) -> None:
    store = SqlInstallationStore(app.db.engine, "client-1")
    await store.async_save(install(user="UADMIN", at=T0))
    await store.async_save(install(user="UOTHER", at=T0 + timedelta(minutes=1)))
    await store.async_save(install("T2", token="xoxb-t2"))

    await store.async_delete_installation(enterprise_id=None, team_id="T1", user_id="UOTHER")
    left = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert left is not None and left.user_id == "UADMIN"
    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="UOTHER")
        is None
    )
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is not None  # bots stay

    # a revoked bot (tokens_revoked) is gone from the installations too; the user's part stays
    await store.async_delete_bot(enterprise_id=None, team_id="T1")
    without_bot = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert (
        without_bot is not None
        and without_bot.bot_token is None
        and without_bot.user_token == "xoxp-UADMIN"
    )

    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_bot_for_team("T1") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is not None


async def test_install_states_are_used_once_and_expire(app: App) -> None:
    now = [T0]
    states = SqlOAuthStateStore(app.db.engine, expiration_seconds=600, now=lambda: now[0])
    first = await states.async_issue()
    second = await states.async_issue()
    assert first != second and len(first) >= 32
    assert await states.async_consume(first) is True
    assert await states.async_consume(first) is False  # once only
    assert await states.async_consume("never-issued") is False
    assert await states.async_consume("") is False

    now[0] = T0 + timedelta(seconds=601)
    assert await states.async_consume(second) is False  # expired
    third = await states.async_issue()  # issuing sweeps the expired ones
    async with app.db.engine.connect() as conn:
        assert list(await conn.scalars(select(STATES.c.state))) == [third]
