"""Who a member practises with: a confidential block, who is looking, the expected wait."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutboundMessage, Tone
from bot.core.services.actor import Actor
from bot.core.services.partners import wait_sentence
from bot.core.vocab import InterviewType
from tests.conftest import make_actor, ready_member
from tests.fakes.fake_chat import FakeChat


@pytest.fixture
def app(chat_app: App) -> App:
    return chat_app


def shown(message: OutboundMessage) -> str:
    return " ".join(
        [message.title or "", message.text or "", *(f"{f.name} {f.value}" for f in message.fields)]
    )


async def export_of(app: App, actor: Actor) -> str:
    reply = await app.router.run(actor, "export", {})
    return reply.attachments[0].data.decode()


async def test_a_blocked_pair_is_never_matched_and_the_blocked_member_learns_nothing(
    app: App, chat: FakeChat
) -> None:
    alice = await ready_member(app, "alice")
    bob = await ready_member(app, "bob")
    done = await app.router.run_text(alice, "block Bob")
    assert done.tone is Tone.SUCCESS and "Bob" in (done.text or "")
    assert "Bob" in shown(await app.router.run_text(alice, "blocked"))
    assert "not blocked anyone" in shown(await app.router.run_text(bob, "blocked"))
    assert (await app.router.run_text(alice, "block alice")).tone is Tone.ERROR  # not yourself
    assert (await app.router.run_text(alice, "block nobody-here")).tone is Tone.ERROR

    replies = [await app.router.run(m, "schedule", {"type": "coding"}) for m in (alice, bob)]
    for _ in range(3):
        outcome = await app.matching.run_round(alice.community.id)
        assert not outcome.sessions
    await app.tick()

    # Bob is told only what any member without a partner is told.
    to_bob = [
        *chat.dms_to("bob"),
        replies[1],
        await app.router.run(bob, "upcoming", {}),
        await app.router.run(bob, "who", {}),
    ]
    for message in to_bob:
        text = shown(message).lower()
        assert "alice" not in text and "block" not in text and "asked not" not in text, text
    bob_export = json.loads(await export_of(app, bob))
    assert bob_export["profile"]["blocked"] == []
    assert "alice" not in json.dumps(bob_export).lower() and alice.member.id not in json.dumps(
        bob_export
    )
    assert json.loads(await export_of(app, alice))["profile"]["blocked"] == [
        "Bob"
    ]  # her own list, to her

    # Admins read neither the block nor that one exists.
    ada = await make_actor(app, "ada", admin=True)
    for who in ("Bob", "Alice"):
        view = shown(await app.router.run_text(ada, f"admin member {who}")).lower()
        assert "block" not in view and "asked not" not in view, view

    # A third member is paired with one of them; unblocking lets the two meet again.
    carol = await ready_member(app, "carol")
    await app.router.run(carol, "schedule", {"type": "coding"})
    (session,) = (await app.matching.run_round(alice.community.id)).sessions
    assert carol.member.id in session.member_ids
    left = alice if alice.member.id not in session.member_ids else bob
    assert (await app.router.run_text(alice, "unblock member:Bob")).tone is Tone.SUCCESS
    assert "not blocked anyone" in shown(await app.router.run_text(alice, "blocked"))
    dora = await ready_member(app, "dora")
    await app.router.run(dora, "schedule", {"type": "coding"})
    (again,) = (await app.matching.run_round(alice.community.id)).sessions
    assert left.member.id in again.member_ids


async def test_who_counts_without_names_and_shows_the_busiest_hours_in_my_zone(app: App) -> None:
    for name in ("alice", "bob", "carol"):
        member = await ready_member(
            app, name, availability="daily 18:00-20:00", types="coding, behavioral"
        )
        await app.router.run(
            member, "schedule", {"type": "coding" if name != "carol" else "behavioral"}
        )
    erin = await ready_member(app, "erin", tz="America/New_York")
    reply = await app.router.run(erin, "who", {})
    text = shown(reply)
    assert "Coding: 2 members" in text and "Behavioral: 1 member" in text
    assert "Alice" not in text and "Bob" not in text and "Carol" not in text
    # 18:00 and 19:00 in Berlin are 12:00 and 13:00 in New York: all three can start then.
    assert "America/New_York" in text and (
        "12:00: 3 available" in text or "13:00: 3 available" in text
    ), text


async def test_the_schedule_reply_states_the_expected_wait_from_recent_rounds(
    app: App, clock: FakeClock
) -> None:
    first = await ready_member(app, "alice")
    reply = await app.router.run(first, "schedule", {"type": "coding"})
    assert "Expected wait: too few Coding sessions" in (reply.text or "")
    for a, b in (("bob", "carol"), ("dora", "erin"), ("fay", "gus")):
        for name in (a, b):
            member = await ready_member(app, name)
            await app.router.run(member, "schedule", {"type": "coding"})
        clock.set(clock.now() + timedelta(hours=5))
        await app.matching.run_round(first.community.id)
    # Pairs an admin booked by hand waited for no round: they do not pull the figure to zero.
    admin = await make_actor(app, "root", admin=True)
    for a, b in (("ian", "jo"), ("kim", "lou"), ("max", "ned"), ("oli", "pat")):
        await ready_member(app, a)
        await ready_member(app, b)
        booked = await app.router.run_text(admin, f"admin pair a:{a} b:{b} type:coding")
        assert booked.tone is Tone.SUCCESS, booked.text
    late = await ready_member(app, "hal")
    reply = await app.router.run(late, "schedule", {"type": "coding"})
    assert reply.tone is Tone.SUCCESS
    assert "Expected wait: about 5 hours for Coding" in (reply.text or ""), reply.text
    assert "going by the 6 requests" in (reply.text or ""), reply.text


def test_wait_sentences() -> None:
    assert "under an hour" in wait_sentence(InterviewType.CODING, [0.2, 0.5, 0.9])
    assert "about 3 days" in wait_sentence(InterviewType.CODING, [70, 72, 80])
    assert "too few" in wait_sentence(InterviewType.CODING, [1.0])


async def test_simultaneous_changes_to_one_member_all_land(app: App) -> None:
    """Two blocks and a profile change sent at the same instant: each reads the member under
    a lock, so none overwrites another (and none fails on a busy database)."""
    import asyncio

    alice = await ready_member(app, "alice")
    await ready_member(app, "bob")
    await ready_member(app, "carol")
    replies = await asyncio.gather(
        app.router.run_text(alice, "block Bob"),
        app.router.run_text(alice, "block Carol"),
        app.router.run_text(alice, "profile level:senior"),
    )
    assert [r.tone for r in replies[:2]] == [Tone.SUCCESS, Tone.SUCCESS], replies
    listed = shown(await app.router.run_text(alice, "blocked"))
    assert "Bob" in listed and "Carol" in listed
    async with app.db.uow() as tx:
        me = await tx.members.get(alice.member.id)
    assert me is not None and len(me.blocked) == 2 and me.level.value == "senior"


async def test_admins_see_that_blocks_exist_only_when_the_community_lets_them(app: App) -> None:
    alice = await ready_member(app, "alice")
    await ready_member(app, "bob")
    await ready_member(app, "carol")
    await app.router.run_text(alice, "block Bob")
    await app.router.run_text(alice, "block Carol")
    ada = await make_actor(app, "ada", admin=True)
    assert "block" not in shown(await app.router.run_text(ada, "admin member Bob")).lower()

    changed = await app.router.run_text(ada, "admin setup admins_see_blocks:yes")
    assert changed.tone is not Tone.ERROR, changed.text
    assert "admins_see_blocks" in shown(await app.router.run_text(ada, "admin setup"))
    of_alice = shown(await app.router.run_text(ada, "admin member Alice"))
    assert "has blocked 2 members · blocked by 0 members" in of_alice
    of_bob = shown(await app.router.run_text(ada, "admin member Bob"))
    assert "has blocked 0 members · blocked by 1 member" in of_bob
    # counts only: the view never says who blocked whom
    assert "alice" not in of_bob.split("Blocks (never who)")[1].lower()
    # and the blocked member still learns nothing
    bob = await make_actor(app, "bob")
    assert "not blocked anyone" in shown(await app.router.run_text(bob, "blocked"))

    await app.router.run_text(ada, "admin setup admins_see_blocks:no")
    assert "Blocks" not in shown(await app.router.run_text(ada, "admin member Alice"))
