"""Pytest fixtures for testing the Discord face against the local fake Discord.

Use them from a test module (or a conftest) by importing the fixtures::

    from tests.fakes.discord_fixtures import discord_runner, fake_discord  # noqa: F401

or, for the whole suite, once in ``tests/conftest.py``::

    pytest_plugins = ["tests.fakes.discord_fixtures"]

``fake_discord``
    A started :class:`~tests.fakes.fake_discord.FakeDiscord`, with discord.py's
    endpoints pointed at it for the duration of the test (restored afterwards).
    At teardown it fails the test if the bot called a route the fake does not
    serve (unless ``fake.unhandled`` was cleared) and validates every recorded
    request body against Discord's OpenAPI spec (a :class:`DiscordSpecNotFound`
    warning when the spec file is absent).
``discord_runner``
    A :class:`DiscordRunner`: ``await discord_runner.start(client)`` logs the
    client in, connects it to the fake's gateway and waits for ``on_ready``;
    every client it started is closed at teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import discord
import pytest_asyncio

from bot.adapters.discord_client import discord_endpoints
from tests.fakes.discord_spec import assert_requests_match_spec
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["DiscordRunner", "client_options", "discord_runner", "fake_discord"]

ClientT = TypeVar("ClientT", bound=discord.Client)


def client_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``discord.Client``/``commands.Bot`` suited to the fake.

    Default (non-privileged) intents, and ``guild_ready_timeout=0.1``: discord.py
    waits that long after the last GUILD_CREATE before firing ``on_ready`` (2 s by
    default), and the fake sends all of them at once.
    """
    options: dict[str, Any] = {"intents": discord.Intents.default(), "guild_ready_timeout": 0.1}
    options.update(overrides)
    return options


class DiscordRunner:
    """Starts discord.py clients against a fake and stops them cleanly."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self._running: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(self, client: ClientT, *, timeout: float = 5.0) -> ClientT:  # noqa: ASYNC109
        """Run ``client.start(token)`` in the background and wait until it is ready."""
        task = asyncio.create_task(client.start(self.fake.token), name="discord-client")
        self._running.append((client, task))
        ready = asyncio.ensure_future(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=timeout, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            if task in done:
                task.result()  # re-raise the login/connect error
            raise AssertionError(f"discord client not ready after {timeout}s")
        return client

    async def stop(self, client: discord.Client) -> None:
        """Close one client (e.g. to simulate a restart) and wait for its task to end."""
        for entry in list(self._running):
            if entry[0] is client:
                self._running.remove(entry)
                await client.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(entry[1], 60)

    async def stop_all(self) -> None:
        for client, _ in list(self._running):
            await self.stop(client)


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    try:
        with discord_endpoints(fake.api_base_url, fake.gateway_url):
            yield fake
    finally:
        await fake.close()
    assert not fake.unhandled, f"the bot called routes the fake does not serve: {fake.unhandled}"
    assert_requests_match_spec(fake)


@pytest_asyncio.fixture
async def discord_runner(fake_discord: FakeDiscord) -> AsyncIterator[DiscordRunner]:
    runner = DiscordRunner(fake_discord)
    try:
        yield runner
    finally:
        await runner.stop_all()
