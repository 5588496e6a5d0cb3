"""``/healthz``'s Discord check follows the real discord.py client on the fake gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import build_app
from bot.cogs.client import RunningDiscord, build_discord_client
from bot.core.clock import FakeClock
from bot.ops.health import Monitor
from bot.settings import Settings, sqlite_url_for
from tests.conftest import T0
from tests.fakes import discord_fixtures
from tests.fakes.discord_fixtures import DiscordRunner, client_options
from tests.fakes.fake_discord import FakeDiscord

fake_discord = discord_fixtures.fake_discord
discord_runner = discord_fixtures.discord_runner


async def wait_for(monitor: Monitor, expected: str) -> None:
    for _ in range(100):
        if monitor._discord() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the Discord check stayed {monitor._discord()!r}, expected {expected!r}")


async def test_the_discord_check_follows_the_gateway_connection(
    tmp_path: Path,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
) -> None:
    app = await build_app(sqlite_url_for(tmp_path / "health.sqlite3"), clock=FakeClock(T0))
    monitor = Monitor(app)
    try:
        settings = Settings(
            _env_file=None,
            discord_token=fake_discord.token,  # type: ignore[call-arg]
            discord_api_base_url=fake_discord.api_base_url,
            discord_gateway_url=fake_discord.gateway_url,
        )
        client = await discord_runner.start(build_discord_client(app, settings, **client_options()))
        task = next(t for c, t in discord_runner._running if c is client)
        monitor.discord = RunningDiscord(client, task)
        assert monitor._discord() == "ok"
        status = await monitor.healthz(None)  # type: ignore[arg-type]
        assert status.status == 200

        await fake_discord.drop_connection(hold=True)  # the gateway goes away; reconnects wait
        await wait_for(monitor, "the gateway is not connected")
        assert (await monitor.healthz(None)).status == 503  # type: ignore[arg-type]

        fake_discord.release_connections()
        await fake_discord.wait_for_connection()
        await wait_for(monitor, "ok")

        await discord_runner.stop(client)
        assert monitor._discord() in ("the client stopped", "the gateway is not connected")
    finally:
        await app.close()
