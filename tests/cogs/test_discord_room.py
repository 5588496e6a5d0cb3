"""The session room on Discord: the admin's call and editor settings, each session's own links
in the thread, the .ics, ``/mock upcoming``, and nothing of them for a third member."""

from __future__ import annotations

import re

from bot.app import App
from bot.core.models import Platform
from tests.cogs.rig import (
    admin,
    app,
    command,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    ready_for,
    registered,
    reply_to,
    settle,
    start_face,
    text_of,
)
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]


async def test_each_session_has_its_own_links_shown_only_to_the_pair(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    setup = registered(fake, "mockadmin", "setup")
    assert {"call_link", "coding_editor", "design_board"} <= {o["name"] for o in setup["options"]}

    bad = await admin(fake, "owner", "setup", {"call_link": "zoom.us/j/1"})
    assert "Nothing was changed" in text_of(bad) and "https" in text_of(bad)
    saved = await admin(fake, "owner", "setup", {"coding_editor": "https://codeshare.io/{room}"})
    assert "coding_editor" in text_of(saved) and "codeshare.io" in text_of(saved)

    await ready_for(fake, "alice", "system-design")
    await ready_for(fake, "bob", "system-design")
    cid = await community_id(app, fake)
    assert len((await app.matching.run_round(cid)).sessions) == 1
    await app.tick()
    await settle(client)
    async with app.db.uow() as tx:
        (session,) = await tx.sessions.for_community(cid)
    call, board = session.call_url, session.work_url
    assert call and re.fullmatch(r"https://meet\.jit\.si/PeerLoop-\w+", call)
    assert board and board.startswith("https://excalidraw.com/#room=")

    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    thread_id = int(create.response["id"])
    (announcement,) = fake.messages_in(thread_id)
    assert call in text_of(announcement) and board in text_of(announcement)
    (posted,) = [
        r
        for r in fake.requests_to("POST", "/channels/{id}/messages")
        if r.response and r.response.get("id") == announcement["id"]
    ]
    ics = next(f.data for f in posted.files if f.filename.endswith(".ics")).decode()
    assert f"LOCATION:{call}" in ics and f"URL:{call}" in ics

    upcoming = await command(fake, "alice", "upcoming")
    assert call in text_of(upcoming) and board in text_of(upcoming)

    # Carol: not in the thread, her upcoming and a press on the pair's button say nothing of the links.
    carol = fake.user("carol")
    assert carol.id not in fake.thread_members[thread_id]
    await ready_for(fake, "carol", "coding")
    theirs = await command(fake, "carol", "upcoming")
    confirm = next(c for c in custom_ids(announcement) if c.startswith("pl:session.confirm:"))
    pressed = await reply_to(
        fake, await fake.interact(fake.button_click("carol", confirm, announcement["id"]))
    )
    for seen in (theirs, pressed):
        assert call not in text_of(seen) and board not in text_of(seen)
    async with app.db.uow() as tx:
        community = await tx.communities.find(Platform.DISCORD, str(fake.guild.id))
    assert (
        community is not None and community.settings.coding_editor == "https://codeshare.io/{room}"
    )
    await settle(client)


async def test_block_is_confidential_and_who_names_nobody(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    block = registered(fake, "mock", "block")
    assert (
        block["options"][0]["name"] == "member" and block["options"][0]["type"] == 6
    )  # a USER option

    await ready_for(fake, "alice", "coding")
    await ready_for(fake, "bob", "coding")
    done = await command(fake, "alice", "block", {"member": "bob"})
    assert "you will not be paired with Bob" in text_of(done)
    assert "Bob" in text_of(await command(fake, "alice", "blocked"))
    cid = await community_id(app, fake)
    assert not (await app.matching.run_round(cid)).sessions
    await app.tick()
    await settle(client)
    assert not fake.requests_to("POST", "/channels/{id}/threads")
    # Nothing Bob receives (replies, direct messages) mentions Alice or a block.
    seen = [
        text_of(await command(fake, "bob", "upcoming")),
        text_of(await command(fake, "bob", "blocked")),
    ]
    seen += [text_of(m) for m in fake.dms_to("bob")]
    assert len(seen) > 2  # Bob was told he was left out this round
    for text in seen:
        assert "Alice" not in text and "asked not" not in text, text
    assert "not blocked anyone" in seen[1]

    who = text_of(await command(fake, "carol", "who"))
    assert "Coding: 2 members" in who and "Alice" not in who and "Bob" not in who
    await command(
        fake,
        "carol",
        "profile",
        {"timezone": "Europe/Berlin", "track": "backend", "level": "mid", "types": "coding"},
    )
    await command(fake, "carol", "availability", {"text": "daily 08:00-22:00"})
    scheduled = text_of(await command(fake, "carol", "schedule", {"type": "coding"}))
    assert "Expected wait: too few Coding sessions" in scheduled, scheduled
    await settle(client)
