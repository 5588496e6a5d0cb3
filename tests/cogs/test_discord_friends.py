"""Practising with a chosen member on Discord (discord.py against the fake Discord): the member
picker on ``/mock schedule``, the invitation in the friend's DMs, its buttons pressed by the
friend, by a third member and with crafted ids, the edits that take its buttons away, and
``/mockadmin pair``. Request bodies are checked against Discord's OpenAPI spec by the fixture."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.services.friends import ANSWER_WITHIN
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

__all__ = ["app", "discord_runner", "fake_discord"]


async def invite(app: App, fake: FakeDiscord, client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alice (18-20 Berlin) invites Bob (19-22 Berlin); returns her reply and Bob's invitation."""
    await with_profile(fake, "alice", hours="18:00-20:00")
    await with_profile(fake, "bob", hours="19:00-22:00")
    sent = await command(fake, "alice", "schedule", {"type": "coding", "partner": fake.user("bob")})
    assert "Invitation sent" in text_of(sent), text_of(sent)
    await app.tick()
    await settle(client)
    invitation = fake.dms_to("bob")[-1]
    assert "Alice" in text_of(invitation) and "Coding" in text_of(invitation)
    return sent, invitation


def edits_of(fake: FakeDiscord, message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r.json
        for r in fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if r.path.endswith(f"/{message['id']}")
    ]


async def test_accepted_booked_and_refused_to_a_third_member(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    schedule = registered(fake, "mock", "schedule")
    partner = next(o for o in schedule["options"] if o["name"] == "partner")
    assert partner["type"] == 6 and not partner.get("required")  # a member picker, optional

    _, invitation = await invite(app, fake, client)
    accept, decline = (c for c in custom_ids(invitation))
    assert accept.startswith("pl:friend.accept:") and decline.startswith("pl:friend.decline:")
    await with_profile(fake, "carol", hours="08:00-22:00")
    for crafted in (accept, "pl:friend.accept:" + "f" * 32, "pl:friend.accept"):
        refused = await click(fake, "carol", crafted, invitation["id"])
        assert "Only the invited member" in text_of(refused) or "not" in text_of(refused).lower()
    assert not edits_of(fake, invitation)

    booked = await click(fake, "bob", accept, invitation["id"])
    assert "Booked" in text_of(booked), text_of(booked)
    await app.tick()
    await settle(client)
    (edit,) = edits_of(fake, invitation)
    assert edit["components"] == [] and "Accepted: booked for" in edit["content"]
    assert "allowed_mentions" in edit and not edit["allowed_mentions"].get("parse")
    assert "Bob accepted" in text_of(fake.dms_to("alice")[-1])
    (thread,) = fake.requests_to("POST", "/channels/{id}/threads")
    assert fake.messages_in(int(thread.response["id"]))  # the announcement, as for a round's pair
    again = await click(fake, "bob", accept, invitation["id"])
    assert "accepted already" in text_of(again)
    async with app.db.uow() as tx:
        assert len(await tx.sessions.for_community(await community_id(app, fake))) == 1
    await settle(client)


async def test_withdrawn_and_lapsed_invitations_lose_their_buttons(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    sent, invitation = await invite(app, fake, client)
    (withdraw,) = custom_ids(sent)
    assert "Only the member who sent" in text_of(await click(fake, "bob", withdraw, sent["id"]))
    await click(fake, "alice", withdraw, sent["id"])
    await app.tick()
    await settle(client)
    (edit,) = edits_of(fake, invitation)  # by the delivery, not by a press: no buttons left
    assert edit["components"] == [] and "withdrew" in text_of(edit)

    second = await command(
        fake, "alice", "schedule", {"type": "coding", "partner": fake.user("bob")}
    )
    assert "Invitation sent" in text_of(second)
    await app.tick()
    await settle(client)
    lapsing = fake.dms_to("bob")[-1]
    assert custom_ids(lapsing)
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(ANSWER_WITHIN + timedelta(minutes=1))
    await app.tick()
    await settle(client)
    (edit,) = edits_of(fake, lapsing)
    assert edit["components"] == [] and "lapsed" in text_of(edit)
    assert "had no answer within 48 hours" in text_of(fake.dms_to("alice")[-1])
    await settle(client)


async def test_a_block_cannot_be_arranged_and_admins_pair_by_hand(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await with_profile(fake, "alice", hours="18:00-20:00")
    await with_profile(fake, "bob", hours="19:00-22:00")
    await command(fake, "bob", "block", {"member": fake.user("alice")})
    refused = await command(
        fake, "alice", "schedule", {"type": "coding", "partner": fake.user("bob")}
    )
    assert "can't be arranged" in text_of(refused) and "block" not in text_of(refused).lower()
    await app.tick()
    await settle(client)
    assert not [m for m in fake.dms_to("bob") if "Alice" in text_of(m)]

    await command(fake, "bob", "unblock", {"member": fake.user("alice")})
    options = {"a": fake.user("alice"), "b": fake.user("bob"), "type": "coding"}
    sent = await fake.interact(
        fake.slash_command("owner", fake.guild, "mockadmin", options, "pair")
    )
    paired = await reply_to(fake, sent)
    assert "Paired" in text_of(paired) and "first common time" in text_of(paired)
    await app.tick()
    await settle(client)
    assert "An admin paired you with Bob" in text_of(fake.dms_to("alice")[-1])
    assert "An admin paired you with Alice" in text_of(fake.dms_to("bob")[-1])
    sent = await fake.interact(
        fake.slash_command("alice", fake.guild, "mockadmin", options, "pair")
    )
    assert "Paired" not in text_of(await reply_to(fake, sent))  # not an admin
    await settle(client)
