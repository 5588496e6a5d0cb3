"""Discord onboarding end to end through discord.py against the fake Discord: a new member's
first /mock schedule opens the profile form (with a restart half-way), its submit opens the
schedule form, and a request is booked without one key:value option; the admins' sign-up
message; pressed messages lose their stale buttons. Bodies are checked against Discord's
OpenAPI spec by the fixture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.app import App, build_app
from bot.core.models import RequestStatus
from tests.cogs.rig import (
    app,
    click,
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
from tests.cogs.test_discord_feedback import fill_form
from tests.conftest import delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import EPHEMERAL, FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

PROFILE = {
    "Your role track": "backend",
    "Your level": "mid",
    "Interview types you practise": "coding",
    "Programming languages": "Python",
}


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row["components"]]


async def screen(fake: FakeDiscord, sent: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The answer to a form press: (callback type, the screen: a message or a modal)."""
    body = await fake.wait_for_interaction_response(sent)
    if body["type"] == 4:
        return 4, fake.interactions[int(sent["id"])]["original"]
    return body["type"], body.get("data") or {}


async def pick_all(
    fake: FakeDiscord, user: str, page: dict[str, Any], pick: Callable[[dict[str, Any]], str]
) -> str:
    """Answer every select of a screen; returns its button's custom id."""
    for select in (c for c in components(page) if c["type"] == 3):
        sent = await fake.interact(
            fake.select(user, select["custom_id"], [pick(select)], page["id"])
        )
        assert await fake.wait_for_interaction_response(sent) == {"type": 6}
    (button,) = [c for c in components(page) if c["type"] == 2]
    return str(button["custom_id"])


async def answer_after_update(fake: FakeDiscord, sent: dict[str, Any]) -> dict[str, Any]:
    """The private answer that follows a deferred update (the pressed message was edited)."""

    def posted() -> list[Any]:
        return [f for f in fake.followups(sent["id"]) if f.method == "POST"]

    await fake.wait_until(lambda: bool(posted()), what="the answer")
    first = posted()[0]
    assert first.json["flags"] & EPHEMERAL
    return {**first.json, "id": first.response["id"]}


async def test_a_new_member_goes_from_nothing_to_a_request_with_a_restart_in_the_middle(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    start = await command(fake, "alice", "schedule", {"type": "behavioral"})
    assert "Your mock interview profile" in text_of(start), text_of(start)
    (open_id,) = [c for c in custom_ids(start) if c.startswith("plform:")]

    kind, page = await screen(
        fake, await fake.interact(fake.button_click("alice", open_id, start["id"]))
    )
    assert kind == 4 and page["flags"] & EPHEMERAL
    placeholders = [c["placeholder"] for c in components(page) if c["type"] == 3]
    assert placeholders[:4] == list(PROFILE)
    types = next(c for c in components(page) if c["placeholder"] == "Interview types you practise")
    assert types["max_values"] > 1  # several types at once
    continue_id = await pick_all(fake, "alice", page, lambda s: PROFILE[s["placeholder"]])

    # A restart: a new process (app, client, face) over the same database; the press continues.
    await discord_runner.stop(client)
    restarted = await build_app(app.db.url, clock=app.clock)
    try:
        client = await start_face(restarted, discord_runner)
        kind, page = await screen(
            fake, await fake.interact(fake.button_click("alice", continue_id, page["id"]))
        )
        assert kind == 4, page
        (zone,) = [c for c in components(page) if c["type"] == 3]
        offered = [o["value"] for o in zone["options"]]
        assert offered[0] == "America/New_York" and offered[-1] == "other"  # en-US locale first
        next_id = await pick_all(fake, "alice", page, lambda _s: "other")
        kind, modal = await screen(
            fake, await fake.interact(fake.button_click("alice", next_id, page["id"]))
        )
        assert kind == 9, modal
        inputs = {
            row["components"][0]["label"]: row["components"][0]["custom_id"]
            for row in modal["components"]
        }
        typed = {
            inputs["Weekly availability, in your time"]: "daily 08:00-22:00",
            inputs["Another time zone (if not listed)"]: "Mars/Olympus",
        }
        sent = await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], typed, guild=None)
        )
        refusal = await reply_to(fake, sent)
        assert "not a time zone" in text_of(refusal) and "America/Toronto" in text_of(refusal)
        (change,) = [c for c in custom_ids(refusal) if c.startswith("plform:")]

        # Carol cannot send Dana's form.
        body = await fake.wait_for_interaction_response(
            await fake.interact(fake.modal_submit("carol", modal["custom_id"], typed, guild=None))
        )
        assert "belongs to someone else" in text_of(body["data"])

        kind, modal = await screen(
            fake, await fake.interact(fake.button_click("alice", change, refusal["id"]))
        )
        assert kind == 9 and modal["title"].startswith("When you can practise")
        typed[inputs["Another time zone (if not listed)"]] = "europe/lisbon"
        # Sent from the refusal's Change button: that message is edited to say so, no button left.
        sent = await fake.interact(
            fake.modal_submit("alice", modal["custom_id"], typed, guild=None, message=refusal["id"])
        )
        assert await fake.wait_for_interaction_response(sent) == {"type": 6}
        saved = await answer_after_update(fake, sent)
        carrier = fake.find_message(refusal["id"])
        assert (
            carrier is not None
            and carrier["content"].startswith("✓ Sent")
            and carrier["components"] == []
        )
        assert "Profile saved" in text_of(saved) and "Europe/Lisbon" in text_of(saved)
        assert "possible start times in the next 7 days" in text_of(saved)
        assert "Schedule a mock interview" in text_of(saved)  # straight on to the schedule form

        answers = {"Interview type": "behavioral", "Your role": "swap", "Within the next": "7"}
        reply, _pages = await fill_form(
            fake, "alice", saved, lambda s: answers[s["placeholder"]], lambda _t: ""
        )
        assert "Request open" in text_of(reply) and "Behavioral" in text_of(reply)
        async with restarted.db.uow() as tx:
            member = await tx.members.find(
                await community_id(restarted, fake), str(fake.user("alice").id)
            )
            assert member is not None and member.timezone == "Europe/Lisbon"
            requests = await tx.requests.open_for_member(member.id)
        assert [(r.interview_type.value, r.status) for r in requests] == [
            ("behavioral", RequestStatus.OPEN)
        ]
        await settle(client)
    finally:
        await discord_runner.stop(client)
        await restarted.close()


async def test_the_signup_message_gives_each_presser_their_own_form(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    sent = await fake.interact(fake.slash_command("owner", fake.guild, "mockadmin", {}, "signup"))
    private = await reply_to(fake, sent)
    assert "Posted" in text_of(private)
    await fake.wait_until(
        lambda: len(fake.followups(sent["id"])) == 2, what="the public sign-up message"
    )
    public = fake.followups(sent["id"])[1]
    assert not (public.json.get("flags") or 0) & EPHEMERAL
    post = fake.find_message(public.response["id"])
    assert post is not None and "Join mock interviews" in str(post["components"])
    (join,) = custom_ids(post)
    assert join == "pl:onboard.join"

    # Not an admin: refused.
    refused = await reply_to(
        fake, await fake.interact(fake.slash_command("bob", fake.guild, "mockadmin", {}, "signup"))
    )
    assert "admin" in text_of(refused).lower()

    starts = {}
    for user in ("alice", "carol"):
        starts[user] = await click(fake, user, join, post["id"])
        assert "Your mock interview profile" in text_of(starts[user])
    (alice_open,) = [c for c in custom_ids(starts["alice"]) if c.startswith("plform:")]
    (carol_open,) = [c for c in custom_ids(starts["carol"]) if c.startswith("plform:")]
    assert alice_open != carol_open  # one draft each
    body = await fake.wait_for_interaction_response(
        await fake.interact(fake.button_click("carol", alice_open, starts["alice"]["id"]))
    )
    assert "belongs to someone else" in text_of(body["data"])
    await settle(client)


async def test_confirm_and_cancel_edit_the_pressed_message_so_no_stale_button_remains(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await ready(fake, "alice")
    await ready(fake, "bob")
    outcome = await app.matching.run_round(await community_id(app, fake))
    assert len(outcome.sessions) == 1
    await app.tick()
    await delivered(app)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    thread_id = int(create.response["id"])
    (announcement,) = fake.messages_in(thread_id)
    confirm = next(c for c in custom_ids(announcement) if c.startswith("pl:session.confirm:"))
    cancel = next(c for c in custom_ids(announcement) if c.startswith("pl:session.cancel:"))

    await click(fake, "carol", confirm, announcement["id"])  # not hers: refused, nothing edited
    await settle(client)
    assert not fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")

    await click(fake, "alice", confirm, announcement["id"])
    await settle(client)
    (edit,) = fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
    alice = fake.user("alice")
    assert f"<@{alice.id}> confirmed." in edit.json["content"]
    assert edit.json["allowed_mentions"]["parse"] == []  # named, never pinged by an edit
    assert confirm in custom_ids(fake.find_message(announcement["id"]))  # Bob still has to confirm

    await click(fake, "bob", confirm, announcement["id"])
    await settle(client)
    assert confirm not in custom_ids(fake.find_message(announcement["id"]))
    assert "Both of you are in." in fake.find_message(announcement["id"])["content"]

    await click(fake, "alice", cancel, announcement["id"])
    await settle(client)
    shown = fake.find_message(announcement["id"])
    assert custom_ids(shown) == [] and "Cancelled" in shown["content"]
    assert "Mock interview booked" in text_of(shown)  # the embed stays
