"""Mock loops on Discord: ``/mock loop start`` built from its declaration (a group with typed
options, template autocomplete), the rounds paired and run by the ordinary rounds, the debrief
by direct message and in ``/mock loop status``, and a third member unable to cancel the loop."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.vocab import InterviewType
from tests.cogs.rig import (
    app,
    click,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    registered,
    reply_to,
    settle,
    start_face,
    text_of,
    with_profile,
)
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord
from tests.loop_helpers import actors_of, loop_member_id, run_rounds

__all__ = ["app", "discord_runner", "fake_discord"]


async def loop(
    fake: FakeDiscord, user: str, sub: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    sent = await fake.interact(
        fake.slash_command(user, fake.guild, "mock", options or {}, "loop", sub)
    )
    return await reply_to(fake, sent)


async def test_a_loop_is_booked_run_and_debriefed_on_discord(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    fake.add_user("dave")
    fake.add_user("mallory")
    client = await start_face(app, discord_runner)
    group = registered(fake, "mock", "loop")
    assert group["type"] == 2  # a subcommand group
    assert {o["name"] for o in group["options"]} == {"start", "status", "cancel"}
    start = next(o for o in group["options"] if o["name"] == "start")
    options = {o["name"]: o for o in start["options"]}
    assert options["template"].get("autocomplete") is True
    assert {c["value"] for c in options["level"]["choices"]} == {
        "junior",
        "mid",
        "senior",
        "staff+",
    }
    assert (options["days"]["min_value"], options["days"]["max_value"]) == (7, 14)

    sent = await fake.interact(
        fake.autocomplete(
            "alice", fake.guild, "mock", {"template": "data"}, "template", "loop", "start"
        )
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["type"] == 8
    assert {c["value"] for c in body["data"]["choices"]} == {"data-engineering", "data-science"}

    await with_profile(fake, "alice", "coding, system-design, behavioral")
    for user, kind in (("bob", "coding"), ("carol", "system-design"), ("dave", "behavioral")):
        await with_profile(fake, user, kind)
        await command(fake, user, "schedule", {"type": kind, "role": "swap", "days": 14})
    bad = await loop(fake, "alice", "start", {"template": "cooking"})
    assert "backend" in text_of(bad) and "data-engineering" in text_of(bad)
    booked = await loop(fake, "alice", "start", {"template": "backend", "level": "senior"})
    assert "Loop booked: Backend onsite" in text_of(booked), text_of(booked)
    (cancel_id,) = [c for c in custom_ids(booked) if c.startswith("pl:loop.cancel:")]

    # Mallory presses Alice's button with its real id, and types the loop's id: both refused.
    await with_profile(fake, "mallory", "coding")
    pressed = await click(fake, "mallory", cancel_id, booked["id"])
    assert "not yours" in text_of(pressed)
    typed = await loop(fake, "mallory", "cancel", {"loop": cancel_id.split(":")[-1]})
    assert "not yours" in text_of(typed)
    running = await loop(fake, "alice", "status")
    assert "Backend onsite (running)" in text_of(running)

    cid = await community_id(app, fake)
    alice_id = await loop_member_id(app, cid, str(fake.user("alice").id))
    assert isinstance(app.clock, FakeClock)
    held = await run_rounds(
        app,
        app.clock,
        cid,
        await actors_of(app, cid),
        {InterviewType.CODING: "lean-yes", InterviewType.SYSTEM_DESIGN: "strong-no"},
        alice_id,
        rounds=3,
    )
    assert len(held) == 3
    await settle(client)
    await app.tick()
    await settle(client)
    debriefs = [m for m in fake.dms_to("alice") if "Loop debrief: Backend onsite" in text_of(m)]
    assert len(debriefs) == 1
    text = text_of(debriefs[0])
    assert "Recommendation at Senior: No hire" in text and "strong no in System design" in text
    assert "Round 2: System design: Strong no." in text
    assert "After a bad round" in text
    status = await loop(fake, "alice", "status")
    assert "Loop debrief: Backend onsite" in text_of(status)
    progress = await command(fake, "alice", "progress")
    assert "Backend onsite: No hire at Senior" in text_of(progress)
    await settle(client)
