"""A digest's picture reaches Discord: drawn as the digest is delivered (in a worker process),
uploaded with the DM through discord.py to the fake Discord, with its alt text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.vocab import InterviewType, Level
from bot.settings import sqlite_url_for
from tests.cogs.rig import discord_runner, fake_discord, start_face
from tests.conftest import T0
from tests.core.test_digest_pictures import PNG, give_scores, outbox_messages
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["discord_runner", "fake_discord"]

#: Monday 7 December 2026, 09:00 in Berlin: the digests of the week after T0.
DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[App, FakeClock]]:
    clock = FakeClock(T0)
    application = await build_app(sqlite_url_for(tmp_path / "discord.sqlite3"), clock=clock)
    try:
        yield application, clock
    finally:
        await application.close()


async def discord_member(app: App, fake: FakeDiscord, name: str) -> Actor:
    actor = await app.actors.resolve(
        Platform.DISCORD, str(fake.guild.id), "PeerLoop Dev", str(fake.user(name).id), name.title()
    )
    await app.profiles.set_profile(
        actor,
        timezone="Europe/Berlin",
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    return actor


async def test_the_month_picture_arrives_with_the_discord_digest(
    world: tuple[App, FakeClock],
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
) -> None:
    app, clock = world
    fake = fake_discord
    await start_face(app, discord_runner)
    carol, bob = await discord_member(app, fake, "carol"), await discord_member(app, fake, "bob")
    await give_scores(app, carol, bob, DUE)
    clock.set(DUE)
    await app.steps.run_due()
    assert all(not m.get("attachments") for m in (await outbox_messages(app)).values())
    await app.tick()
    (digest,) = fake.dms_to("carol")
    assert digest["embeds"][0]["title"] == "Your PeerLoop week"
    (attachment,) = digest["attachments"]
    assert attachment["filename"] == "peerloop-month.png"
    assert "a month ago" in attachment["description"]
    (upload,) = [f for rec in fake.requests if rec.files for f in rec.files]
    assert upload.filename == "peerloop-month.png" and upload.data.startswith(PNG)
    (bob_digest,) = fake.dms_to("bob")
    assert bob_digest["attachments"] == []  # nothing new for Bob: no picture
