"""The Discord rig the Discord face tests share: the app and the fake Discord's fixtures, the
face's helpers (``tests.cogs.test_discord_face``), and the admin's and members' commands
several features' tests type. A test module imports what it uses from here and lists the
fixtures in its ``__all__``."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.core.models import Session
from tests.cogs.test_discord_face import (
    app,
    click,
    command,
    community_id,
    custom_ids,
    raw_text_of,
    ready,
    reply_to,
    settings_for,
    settle,
    start_face,
    text_of,
)
from tests.conftest import delivered
from tests.fakes import discord_fixtures
from tests.fakes.fake_discord import FakeDiscord

fake_discord = discord_fixtures.fake_discord
discord_runner = discord_fixtures.discord_runner
__all__ = [
    "admin",
    "app",
    "book_a_pair",
    "click",
    "command",
    "community_id",
    "custom_ids",
    "discord_runner",
    "fake_discord",
    "raw_text_of",
    "ready",
    "ready_for",
    "registered",
    "reply_to",
    "settings_for",
    "settle",
    "start_face",
    "stored",
    "text_of",
    "with_profile",
]


async def admin(
    fake: FakeDiscord, user: str, sub: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``/mockadmin <sub>`` typed by ``user``; the reply."""
    sent = await fake.interact(
        fake.slash_command(user, fake.guild, "mockadmin", options or {}, sub)
    )
    return await reply_to(fake, sent)


async def with_profile(
    fake: FakeDiscord, user: str, types: str = "coding", hours: str = "08:00-22:00"
) -> None:
    """``user`` sets a full profile (Berlin, backend, mid, ``types``) and daily ``hours``."""
    await command(
        fake,
        user,
        "profile",
        {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": types},
    )
    await command(fake, user, "availability", {"text": f"daily {hours}"})


async def ready_for(fake: FakeDiscord, user: str, kind: str) -> None:
    """``user`` sets a full profile and wide availability, then asks for a ``kind`` session."""
    await with_profile(fake, user, "coding, system-design")
    await command(fake, user, "schedule", {"type": kind, "role": "swap", "days": 7})


async def book_a_pair(app: App, fake: FakeDiscord, kind: str = "coding") -> Session:
    """Alice and Bob ask for a ``kind`` session and a round pairs them; the new session as
    stored once its messages (the thread's among them) are delivered."""
    await ready_for(fake, "alice", kind)
    await ready_for(fake, "bob", kind)
    cid = await community_id(app, fake)
    async with app.db.uow() as tx:
        known = {s.id for s in await tx.sessions.for_community(cid)}
    assert len((await app.matching.run_round(cid)).sessions) == 1
    await app.tick()
    await delivered(app)
    async with app.db.uow() as tx:
        (session,) = [s for s in await tx.sessions.for_community(cid) if s.id not in known]
    return session


async def stored(app: App, session_id: str) -> Session:
    """The session as stored now."""
    async with app.db.uow() as tx:
        found = await tx.sessions.get(session_id)
    assert found is not None
    return found


def registered(fake: FakeDiscord, group: str, sub: str) -> dict[str, Any]:
    """The option ``sub`` of the command ``group`` as last registered with Discord."""
    put = fake.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")[-1]
    command = next(g for g in put.json if g["name"] == group)
    return next(o for o in command["options"] if o["name"] == sub)
