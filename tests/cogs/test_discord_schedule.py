"""Discord: the "Schedule a session" button opens the core's schedule form, walked through the
real discord.py client against the fake Discord, and its answers open a request."""

from __future__ import annotations

from typing import Any

from bot.app import App
from tests.cogs.rig import (
    app,
    click,
    command,
    custom_ids,
    discord_runner,
    fake_discord,
    start_face,
    text_of,
)
from tests.cogs.test_discord_feedback import fill_form
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]


async def test_the_schedule_a_session_button_walks_the_schedule_form(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    await command(
        fake,
        "alice",
        "profile",
        {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": "coding"},
    )
    saved = await command(fake, "alice", "availability", {"text": "daily 08:00-22:00"})
    assert "pl:schedule.open" in custom_ids(saved)
    start = await click(fake, "alice", "pl:schedule.open", saved["id"])
    assert "not valid any more" not in text_of(start)
    assert "Schedule a mock interview" in text_of(start)

    answers = {"Interview type": "coding", "Your role": "candidate", "Within the next": "5"}

    def pick(select: dict[str, Any]) -> str:
        return answers[select["placeholder"]]

    reply, pages = await fill_form(fake, "alice", start, pick, lambda _text: "")
    assert len(pages) == 1  # three choices on one screen
    assert "Request open" in text_of(reply) and "only candidate" in text_of(reply)
