"""Start early and end early on Discord, through discord.py against the fake Discord: "My
partner is here" on the reminder, "Start now", "We're done", ``/mockadmin end``; a third member
and crafted ids are refused and nothing is edited for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app import App
from bot.core.models import Session, SessionState
from tests.cogs.rig import (
    admin,
    app,
    book_a_pair,
    click,
    command,
    custom_ids,
    discord_runner,
    fake_discord,
    registered,
    reply_to,
    settle,
    start_face,
    stored,
    text_of,
)
from tests.conftest import delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]

EDITS = ("PATCH", "/channels/{channel_id}/messages/{message_id}")


async def booked(app: App, fake: FakeDiscord) -> tuple[Session, int]:
    session = await book_a_pair(app, fake)
    (create,) = fake.requests_to("POST", "/channels/{id}/threads")
    return session, int(create.response["id"])


def with_button(fake: FakeDiscord, thread: int, prefix: str) -> dict[str, Any]:
    return next(
        m
        for m in reversed(fake.messages_in(thread))
        if any(c.startswith(prefix) for c in custom_ids(m))
    )


def button(message: dict[str, Any], prefix: str) -> str:
    return next(c for c in custom_ids(message) if c.startswith(prefix))


async def test_both_here_start_now_then_we_are_done(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    session, thread = await booked(app, fake)
    app.clock.set(session.start - timedelta(minutes=60))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    reminder = with_button(fake, thread, "pl:session.here:")
    here = button(reminder, "pl:session.here:")

    # Carol presses the pair's buttons, and crafted ids: refused privately, nothing edited.
    for custom_id in (
        here,
        f"pl:session.start_now:{session.id}",
        f"pl:session.done:{session.id}",
        "pl:session.start_now:0000",
        f"pl:session.done:{session.id}:extra'\u202e",
    ):
        reply = await click(fake, "carol", custom_id, reminder["id"])
        text = text_of(reply)
        assert any(x in text for x in ("not yours", "does not exist", "not valid any more")), text
    await settle(client)
    assert not fake.requests_to(*EDITS)

    reply = await click(fake, "alice", here, reminder["id"])
    assert "Noted" in text_of(reply)
    await settle(client)
    edit = fake.requests_to(*EDITS)[-1]
    assert "says their partner is here" in edit.json["content"]
    assert edit.json["allowed_mentions"]["parse"] == []
    reply = await click(fake, "bob", here, reminder["id"])
    start_now = button(reply, "pl:session.start_now:")
    await settle(client)
    assert start_now in custom_ids(fake.find_message(reminder["id"]) or {})
    assert (await stored(app, session.id)).here_by

    reply = await click(fake, "bob", start_now, reminder["id"])
    assert "Started" in text_of(reply)
    await delivered(app)
    await settle(client)
    started = await stored(app, session.id)
    assert started.state is SessionState.IN_PROGRESS and started.start < session.start
    statement = next(m for m in fake.messages_in(thread) if "Part 1:" in text_of(m))
    done = button(statement, "pl:session.done:")
    again = await click(fake, "alice", start_now, reminder["id"])
    assert "already started" in text_of(again)

    reply = await click(fake, "carol", done, statement["id"])
    assert "not yours" in text_of(reply)
    reply = await click(fake, "alice", done, statement["id"])
    assert "Asked" in text_of(reply)
    await delivered(app)
    await settle(client)
    assert (await stored(app, session.id)).state is SessionState.IN_PROGRESS
    reply = await click(fake, "bob", done, statement["id"])
    assert "Ended" in text_of(reply)
    await delivered(app)
    await settle(client)
    assert (await stored(app, session.id)).state is SessionState.COMPLETED
    for user in ("alice", "bob"):
        assert any(
            c.startswith("pl:feedback.open:") for m in fake.dms_to(user) for c in custom_ids(m)
        )
    late = await click(fake, "alice", done, statement["id"])
    assert "already completed" in text_of(late)
    await settle(client)


async def test_an_admin_ends_a_stuck_session(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    end = registered(fake, "mockadmin", "end")
    assert [o["name"] for o in end["options"]] == ["session"]
    session, thread = await booked(app, fake)
    app.clock.set(session.start + timedelta(minutes=5))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)

    refused = await admin(fake, "alice", "end", {"session": session.id})
    assert "Only community admins" in text_of(refused)
    assert (await stored(app, session.id)).state is SessionState.IN_PROGRESS
    crafted = await admin(fake, "owner", "end", {"session": "x" * 64})
    assert "No session of this community" in text_of(crafted)

    view = await admin(fake, "owner", "member", {"user": "alice"})
    end_id = button(view, "pl:admin.end_session:")
    assert session.id in text_of(view)
    reply = await click(fake, "alice", end_id, view["id"])  # a member pressing the admin's button
    assert (await stored(app, session.id)).state is SessionState.IN_PROGRESS
    assert "Only community admins" in text_of(reply)

    reply = await admin(fake, "owner", "end", {"session": session.id})
    assert "feedback is open" in text_of(reply)
    await delivered(app)
    await settle(client)
    assert (await stored(app, session.id)).state is SessionState.COMPLETED
    assert any("A community admin ended" in text_of(m) for m in fake.messages_in(thread))
    again = await click(fake, "owner", end_id, view["id"])
    assert "already completed" in text_of(again)
    await settle(client)


def labelled(message: dict[str, Any]) -> dict[str, str]:
    """A message's buttons: custom id to label."""
    return {
        c["custom_id"]: c.get("label", "")
        for row in message.get("components") or []
        for c in row["components"]
        if "custom_id" in c
    }


async def test_upcoming_offers_my_partner_is_here_within_the_hour_to_the_pair_only(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    session, thread = await booked(app, fake)
    here, start_now = f"pl:session.here:{session.id}", f"pl:session.start_now:{session.id}"
    app.clock.set(session.start - timedelta(minutes=61))  # type: ignore[attr-defined]
    assert here not in custom_ids(await command(fake, "alice", "upcoming"))

    app.clock.set(session.start - timedelta(minutes=30))  # type: ignore[attr-defined]
    listed = await command(fake, "alice", "upcoming")
    assert custom_ids(listed)[0] == here  # first, so it is never the button cut off
    assert labelled(listed)[here] == "My partner is here (Coding)"

    # Carol's own list has nothing of theirs; her crafted presses are refused, nothing changes.
    theirs = await command(fake, "carol", "upcoming")
    assert session.id not in str(theirs)
    for custom_id in (here, start_now):
        refused = await click(fake, "carol", custom_id, theirs["id"])
        assert "not yours" in text_of(refused), text_of(refused)
    assert not (await stored(app, session.id)).here_by

    # Pressed on the list: the same flow as on the reminder (the pair space is told).
    pressed = await fake.interact(fake.button_click("alice", here, listed["id"]))
    noted = await reply_to(fake, pressed)
    assert "Noted" in text_of(noted) and noted["flags"] & 64  # private
    # Her private list itself is updated (acknowledged as an update of it, then edited through
    # the press's token): it says so, pings nobody, and keeps what she may still press (not
    # the button she pressed; the pair's thread keeps it for Bob).
    (edit,) = [r for r in fake.followups(pressed["id"]) if r.method == "PATCH"]
    assert edit.path.endswith("/messages/@original")
    assert "says their partner is here" in edit.json["content"]
    assert edit.json["allowed_mentions"]["parse"] == []
    assert here not in custom_ids(edit.json)
    assert f"pl:session.cancel:{session.id}" in custom_ids(edit.json)
    await delivered(app)
    await settle(client)
    assert len((await stored(app, session.id)).here_by) == 1
    assert any(here in custom_ids(m) for m in fake.messages_in(thread))
    # Her list now shows what is left for her: nothing until Bob says so too.
    again = await command(fake, "alice", "upcoming")
    assert here not in custom_ids(again) and start_now not in custom_ids(again)

    bobs = await command(fake, "bob", "upcoming")
    assert custom_ids(bobs)[0] == here
    both = await click(fake, "bob", here, bobs["id"])
    assert start_now in custom_ids(both)
    listed = await command(fake, "alice", "upcoming")
    assert custom_ids(listed)[0] == start_now and labelled(listed)[start_now] == "Start Coding now"
    started = await click(fake, "alice", start_now, listed["id"])
    assert "Started" in text_of(started)
    await delivered(app)
    assert (await stored(app, session.id)).state is SessionState.IN_PROGRESS
    after = await command(fake, "alice", "upcoming")
    assert here not in custom_ids(after) and start_now not in custom_ids(after)
    await settle(client)
