"""Process roles and Discord sharding against the fake Discord, with the real discord.py.

Three "processes" share one SQLite database: two face processes (role ``discord`` only) own
shard 0 and shard 1 of two, and a third runs only the worker (scheduler and delivery, Discord
over REST, no gateway). They run as three apps in this test's event loop rather than as three
OS processes: the fake Discord lives in the test process and discord.py's endpoints are
process-wide, and each app has its own database engine, client and scheduler, exactly as a
separate process would (nothing is shared but the database file and the fake).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import text

from bot.app import App, build_app
from bot.ops.process import Process
from bot.ops.roles import Roles, RolesError, resolve_roles
from bot.settings import Settings, sqlite_url_for
from tests.fakes import discord_fixtures
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord, FakeGuild

fake_discord = discord_fixtures.fake_discord

FACE = Roles(discord=True, slack_http=False, slack_socket=False, worker=False)
WORKER = Roles(discord=False, slack_http=False, slack_socket=False, worker=True)


def settings_for(fake: FakeDiscord, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=fake.token,
        discord_api_base_url=fake.api_base_url,
        discord_gateway_url=fake.gateway_url,
        **more,
    )


def guild_on_other_shard(fake: FakeDiscord, names: list[str]) -> FakeGuild:
    """A second guild whose events Discord routes to the other of two shards."""
    users = [fake.add_user(n) for n in names]
    while True:
        guild = fake.add_guild("Second server", members=users)
        if (guild.id >> 22) % 2 != (fake.guild.id >> 22) % 2:
            return guild
        del fake.guilds[guild.id]
        time.sleep(0.002)  # the next snowflake's timestamp moves on


async def outbox_counts(app: App) -> Counter[str]:
    async with app.db.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status"))
        ).all()
    return Counter({status: count for status, count in rows})


async def answered(fake: FakeDiscord, sent: dict[str, Any]) -> str:
    """The private text of the reply to an interaction (deferred, then one followup)."""
    await fake.wait_for_interaction_response(sent)
    await fake.wait_until(lambda: bool(fake.followups(sent["id"])), what="a followup")
    body = fake.followups(sent["id"])[0].json
    assert body["flags"] & EPHEMERAL
    return " ".join(
        [body.get("content") or ""]
        + [f"{e.get('title') or ''} {e.get('description') or ''}" for e in body.get("embeds") or ()]
    )


async def test_two_shard_processes_answer_each_interaction_once_and_a_worker_delivers(
    tmp_path: Path, fake_discord: FakeDiscord
) -> None:
    fake = fake_discord
    second = guild_on_other_shard(fake, ["dave", "erin"])
    url = sqlite_url_for(tmp_path / "shared.sqlite3")
    processes: list[Process] = []
    apps: list[App] = []
    seen: dict[int, list[int]] = {0: [], 1: []}
    try:
        for shard in (0, 1):
            app = await build_app(url)
            apps.append(app)
            process = Process(
                app,
                settings_for(fake, shard_count=2, shard_ids=str(shard)),
                FACE,
                health_port=0,
                discord_options={"guild_ready_timeout": 0.1},
            )
            processes.append(process)
            await process.start()
            client = process.discord.client
            assert isinstance(client, discord.AutoShardedClient)

            async def saw(
                interaction: discord.Interaction,
                shard: int = shard,
                face: Any = client.on_interaction,
            ) -> None:
                seen[shard].append(interaction.id)
                await face(interaction)

            client.on_interaction = saw  # type: ignore[method-assign]
            await asyncio.wait_for(client.wait_until_ready(), 10)
        # Only the process owning shard 0 syncs the commands.
        await fake.wait_until(lambda: bool(fake.global_commands), what="the commands synced")
        assert len(fake.requests_to("PUT", "/applications/{application_id}/commands")) == 1
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
        shard_of = {
            fake.guild.id: fake.shard_of(fake.guild.id),
            second.id: fake.shard_of(second.id),
        }
        assert sorted(shard_of.values()) == [0, 1]

        sent: dict[int, list[dict[str, Any]]] = {fake.guild.id: [], second.id: []}
        for guild, pair in ((fake.guild, ("alice", "bob")), (second, ("dave", "erin"))):
            for user in pair:
                profile = fake.slash_command(
                    user,
                    guild,
                    "mock",
                    {
                        "timezone": "Europe/Berlin",
                        "track": "backend",
                        "level": "mid",
                        "types": "coding",
                    },
                    "profile",
                )
                sent[guild.id].append(await fake.interact(profile))
                await answered(fake, sent[guild.id][-1])
            for user in pair:
                now = fake.slash_command(user, guild, "mock", {"type": "coding"}, "now")
                sent[guild.id].append(await fake.interact(now))
                reply = await answered(fake, sent[guild.id][-1])
            assert "paired" in reply.lower() or "session" in reply.lower(), reply

        # Every interaction was answered exactly once, by the process owning its guild's shard.
        for guild_id, interactions in sent.items():
            ids = [int(i["id"]) for i in interactions]
            assert set(ids) <= set(seen[shard_of[guild_id]])
            assert not set(ids) & set(seen[1 - shard_of[guild_id]])
            for interaction in interactions:
                assert len(fake.interaction_callbacks(interaction["id"])) == 1
        assert Counter(seen[0]) | Counter(seen[1]) == Counter(seen[0] + seen[1])  # no id twice

        # The faces queued the pairs' messages but delivered none of them (no worker role).
        await asyncio.sleep(0.5)
        queued = await outbox_counts(apps[0])
        assert queued["pending"] > 0 and queued["sent"] == 0
        people = [fake.user(n) for n in ("alice", "bob", "dave", "erin")]
        assert all(not fake.dms_to(u) for u in people)
        assert all(p.runtime is None for p in processes)

        # A worker-only process delivers them over REST, without a gateway connection.
        worker_app = await build_app(url)
        apps.append(worker_app)
        worker = Process(worker_app, settings_for(fake), WORKER, health_port=0, sweep_seconds=0.2)
        processes.append(worker)
        await worker.start()
        assert worker.discord is None and worker_app.runs_steps

        async def all_sent() -> bool:
            counts = await outbox_counts(worker_app)
            return counts["pending"] == 0 and counts["sent"] == queued["pending"]

        for _ in range(150):
            if await all_sent():
                break
            await asyncio.sleep(0.1)
        assert await all_sent(), await outbox_counts(worker_app)
        assert len(fake.identifies) == 2  # the worker never opened a gateway connection
        threads = [c for c in fake.channels.values() if c.get("type") == 12]
        assert {int(t["guild_id"]) for t in threads} == {fake.guild.id, second.id}
        for thread in threads:
            assert fake.messages_in(thread["id"]), "each pair's space got its posts"
    finally:
        for process in reversed(processes):
            await process.stop()
        for app in apps:
            await app.close()


def test_roles_default_to_everything_configured_and_follow_settings_and_flags() -> None:
    discord_only = Settings(_env_file=None, discord_token="t")  # type: ignore[call-arg]
    assert resolve_roles(discord_only) == Roles(
        discord=True, slack_http=False, slack_socket=False, worker=True
    )
    both = Settings(
        _env_file=None,
        discord_token="t",
        slack_bot_token="xoxb-1",  # type: ignore[call-arg]
        slack_app_token="xapp-1",
    )
    assert resolve_roles(both).names() == ["discord", "slack-socket", "worker"]
    as_set = Settings(_env_file=None, discord_token="t", run_roles="discord, worker")  # type: ignore[call-arg]
    assert resolve_roles(as_set).names() == ["discord", "worker"]
    assert resolve_roles(as_set, {"worker": False}).names() == ["discord"]
    assert resolve_roles(discord_only, {"discord": False}).names() == ["worker"]
    with pytest.raises(RolesError, match="unknown role"):
        resolve_roles(Settings(_env_file=None, discord_token="t", run_roles="discord,gateway"))  # type: ignore[call-arg]
    with pytest.raises(RolesError, match="needs SLACK"):
        resolve_roles(discord_only, {"slack_http": True})
    with pytest.raises(RolesError, match="nothing to run"):
        resolve_roles(discord_only, {"discord": False, "worker": False})


def test_shard_settings() -> None:
    assert Settings(_env_file=None).discord_shards is None  # type: ignore[call-arg]
    assert Settings(_env_file=None, shard_count=4).discord_shards == (4, [0, 1, 2, 3])  # type: ignore[call-arg]
    assert Settings(_env_file=None, shard_count=4, shard_ids="3,1").discord_shards == (4, [1, 3])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="below SHARD_COUNT"):
        _ = Settings(_env_file=None, shard_count=2, shard_ids="2").discord_shards  # type: ignore[call-arg]


def test_run_flags_reach_the_roles() -> None:
    from bot.__main__ import _parser
    from bot.ops.roles import role_flags

    args = _parser().parse_args(["run", "--no-discord", "--slack-http", "--worker"])
    assert role_flags(args) == {
        "discord": False,
        "slack_http": True,
        "slack_socket": None,
        "worker": True,
    }
    settings = Settings(_env_file=None, discord_token="t", slack_bot_token="xoxb-1")  # type: ignore[call-arg]
    assert resolve_roles(settings, role_flags(args)).names() == ["slack-http", "worker"]


async def test_a_worker_without_faces_gets_rest_chat_ports(tmp_path: Path) -> None:
    from bot.adapters.slack_chat import SlackChat
    from bot.core.models import Platform

    app = await build_app(sqlite_url_for(tmp_path / "w.sqlite3"))
    settings = Settings(
        _env_file=None, slack_bot_token="xoxb-1", slack_api_base_url="http://127.0.0.1:9/api/"
    )  # type: ignore[call-arg]
    process = Process(app, settings, WORKER, health_port=0)
    try:
        await process.start()
        assert isinstance(app.chats[Platform.SLACK], SlackChat)  # the Web API client, no bolt app
        assert process.runtime is not None and process.runtime.started
        health = await process.monitor.check()
        assert health["discord"] == "not run here" and health["scheduler"] == "ok"
    finally:
        await process.stop()
        await app.close()
