"""``/mockadmin`` end to end: the real discord.py client against the local fake Discord.

Request bodies are validated against Discord's OpenAPI spec by the ``fake_discord`` fixture.
A member without Manage Server who still sends the interaction is refused by the core.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.app import App
from bot.core.messages import Tone
from bot.core.models import CommunitySettings, Platform
from tests.cogs.rig import (
    admin,
    app,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    ready,
    reply_to,
    settle,
    start_face,
    text_of,
)
from tests.core.test_sessions import advance
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]


async def settings_of(app: App, fake: FakeDiscord) -> CommunitySettings:
    async with app.db.uow() as tx:
        community = await tx.communities.get(await community_id(app, fake))
    assert community is not None
    return community.settings


async def test_mockadmin_commands_are_typed_and_hidden_from_members_by_default(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    (put,) = fake.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    group = next(c for c in put.json if c["name"] == "mockadmin")
    assert int(group["default_member_permissions"]) == 1 << 5  # Manage Server
    subs = {o["name"]: o for o in group["options"]}
    assert {"setup", "stats", "member", "status", "pause", "resume"} <= set(subs)
    setup = {o["name"]: o for o in subs["setup"]["options"]}
    assert setup["pair_channel"]["type"] == 7 and setup["admin_channel"]["type"] == 7
    assert [c["value"] for c in setup["digest_day"]["choices"]] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
    assert (setup["digest_hour"]["min_value"], setup["digest_hour"]["max_value"]) == (0, 23)
    assert (setup["match_every"]["min_value"], setup["match_every"]["max_value"]) == (5, 1440)
    assert [c["value"] for c in setup["session_minutes"]["choices"]] == [30, 45, 60, 90]
    assert (
        setup["prefer_seen_prompts"]["type"] == 5
        and setup["disabled_types"]["autocomplete"] is True
    )
    assert (
        subs["member"]["options"][0]["type"] == 6
        and subs["member"]["options"][0]["required"] is True
    )
    await settle(client)


async def test_a_member_without_manage_server_is_refused_by_the_core_and_nothing_changes(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await command(fake, "alice", "help")
    before = await settings_of(app, fake)
    for sub, options in (
        (
            "setup",
            {"digest_hour": 7, "session_minutes": 30, "pair_channel": fake.guild.text_channel_id},
        ),
        ("setup", {}),
        ("stats", {}),
        ("member", {"user": "bob"}),
        ("pause", {}),
    ):
        reply = await admin(fake, "alice", sub, options)
        assert "Only community admins" in text_of(reply), (sub, text_of(reply))
    assert await settings_of(app, fake) == before
    await settle(client)


async def test_setup_validates_writes_and_shows_the_settings(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    shown = await admin(fake, "owner", "setup")
    assert "PeerLoop settings" in text_of(shown) and "60 min" in text_of(shown)

    bad = await admin(fake, "owner", "setup", {"digest_day": "fri", "reminders": "1h, soon"})
    assert "Nothing was changed" in text_of(bad) and "“soon”" in text_of(bad)
    assert (await settings_of(app, fake)).digest_weekday == 0

    channel = fake.guild.text_channel_id
    saved = await admin(
        fake,
        "owner",
        "setup",
        {
            "pair_channel": channel,
            "digest_day": "fri",
            "digest_hour": 18,
            "session_minutes": 45,
            "match_every": 30,
            "prefer_seen_prompts": False,
            "disabled_types": "behavioral",
        },
    )
    assert "Settings saved" in text_of(saved) and f"channel `{channel}`" in text_of(saved)
    after = await settings_of(app, fake)
    assert (after.pair_channel_id, after.digest_weekday, after.digest_hour) == (str(channel), 4, 18)
    assert (after.session_minutes, after.match_every_minutes) == (45, 30)
    assert not after.prefer_prompt_interviewer_has_seen and after.disabled_types == ("behavioral",)

    reset = await admin(fake, "owner", "setup", {"reset": "pair_channel"})
    assert "Changed: pair_channel" in text_of(reset)
    assert (await settings_of(app, fake)).pair_channel_id is None

    assert "paused" in text_of(await admin(fake, "owner", "pause"))
    assert "is paused" in text_of(await admin(fake, "owner", "status"))
    assert "running again" in text_of(await admin(fake, "owner", "resume"))
    stats = await admin(fake, "owner", "stats")
    assert "Last 7 days" in text_of(stats) and "Last 30 days" in text_of(stats)
    await settle(client)


async def test_member_lookup_and_clearing_no_show_marks_with_the_button(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    await ready(fake, "bob")
    cid = await community_id(app, fake)
    (session,) = (await app.matching.run_round(cid)).sessions
    await advance(app, app.clock, session.start + timedelta(minutes=11))  # type: ignore[arg-type]
    alice = await app.actors.resolve(
        Platform.DISCORD, str(fake.guild.id), "", str(fake.user("alice").id), ""
    )
    assert (await app.router.act(alice, f"pl:session.noshow:{session.id}")).tone is Tone.SUCCESS
    async with app.db.uow() as tx:
        bob = await tx.members.find(cid, str(fake.user("bob").id))
        assert bob is not None
        assert len(await tx.no_shows.for_members([bob.id])) == 1

    report = await admin(fake, "owner", "member", {"user": "bob"})
    text = text_of(report)
    assert "Reliability: 50%" in text and "paired with " in text
    assert f" for <t:{int(session.start.timestamp())}:f>" in text
    (button,) = [c for c in custom_ids(report) if c.startswith("pl:admin.clear_noshow:")]
    message = fake.find_message(report["id"])
    assert message is not None

    refused = await reply_to(fake, await fake.interact(fake.button_click("alice", button, message)))
    assert "Only community admins" in text_of(refused)
    async with app.db.uow() as tx:
        assert len(await tx.no_shows.for_members([bob.id])) == 1

    cleared = await reply_to(fake, await fake.interact(fake.button_click("owner", button, message)))
    assert "Cleared 1 no-show mark" in text_of(cleared)
    async with app.db.uow() as tx:
        assert await tx.no_shows.for_members([bob.id]) == []
    again = await admin(fake, "owner", "member", {"user": "bob"})
    assert "Reliability: 100%" in text_of(again) and not custom_ids(again)
    stranger = await admin(fake, "owner", "member", {"user": "carol"})
    # The face hands the core the user's id: quoted back as text, never as a mention.
    carol_id = fake.user("carol").id
    assert f"“{carol_id}”" in stranger["content"] and "has not used PeerLoop" in text_of(stranger)
    assert f"<@{carol_id}>" not in stranger["content"]
    await settle(client)


async def test_track_autocomplete_offers_the_communitys_own_tracks(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await command(fake, "carol", "help")
    cid = await community_id(app, fake)
    async with app.db.uow() as tx:
        community = await tx.communities.get(cid)
        assert community is not None
        settings = replace(community.settings, extra_tracks={"game-dev": "Game development"})
        await tx.communities.save_settings(cid, settings)
    sent = await fake.interact(
        fake.autocomplete("carol", fake.guild, "mock", {"track": "game"}, "track", "profile")
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["data"]["choices"] == [{"name": "Game development", "value": "game-dev"}]
    sent = await fake.interact(
        fake.autocomplete("carol", fake.guild, "mock", {"track": "back"}, "track", "profile")
    )
    body = await fake.wait_for_interaction_response(sent)
    assert {"name": "Backend", "value": "backend"} in body["data"]["choices"]
    await settle(client)


async def test_languages_autocomplete_completes_the_last_item_of_the_list(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    sent = await fake.interact(
        fake.autocomplete(
            "carol", fake.guild, "mock", {"languages": "Python, typ"}, "languages", "profile"
        )
    )
    body = await fake.wait_for_interaction_response(sent)
    assert body["data"]["choices"] == [
        {"name": "Python, TypeScript", "value": "Python, TypeScript"}
    ]
    await settle(client)
