"""Practising with a chosen member: the invitation, its answers, its lapse, and admins' hand pairing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.friend_models import FriendStatus
from bot.core.messages import OutboundMessage, Tone
from bot.core.models import Platform
from bot.core.services.actor import Actor
from bot.core.services.friends import ANSWER_WITHIN
from tests.conftest import make_actor, ready_member
from tests.fakes.fake_chat import FakeChat


@pytest.fixture
def app(chat_app: App) -> App:
    return chat_app


def shown(message: OutboundMessage) -> str:
    return " ".join(
        [
            message.title or "",
            message.text or "",
            *(f"{f.name} {f.value}" for f in message.fields),
            message.carrier.note if message.carrier else "",
        ]
    )


def action(message: OutboundMessage, label: str) -> str:
    return next(b.action for b in message.buttons if b.label == label)


async def pair(app: App) -> tuple[Actor, Actor]:
    """Alice (18:00-20:00 Berlin) and Bob (19:00-22:00 Berlin): their first common time is
    19:00 Berlin today, 18:00 UTC."""
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 19:00-22:00")
    return alice, bob


async def invite(
    app: App, chat: FakeChat, alice: Actor, *extra: str
) -> tuple[OutboundMessage, OutboundMessage]:
    sent = await app.router.run_text(alice, " ".join(["schedule coding partner:bob", *extra]))
    assert sent.tone is Tone.SUCCESS, shown(sent)
    await app.tick()
    invitation = chat.dms_to("bob")[-1]
    assert {b.label for b in invitation.buttons} == {"Accept", "Decline"}
    return sent, invitation


async def sessions_of(app: App, actor: Actor) -> list[object]:
    async with app.db.uow() as tx:
        return list(await tx.sessions.for_member(actor.member.id, active_only=True))


async def test_accepted_books_the_first_common_time_and_tells_both(
    app: App, chat: FakeChat
) -> None:
    alice, bob = await pair(app)
    _sent, invitation = await invite(app, chat, alice)
    assert "Alice" in shown(invitation) and "Coding" in shown(invitation)
    accept = action(invitation, "Accept")

    carol = await ready_member(app, "carol")
    for stranger in (carol, alice):  # a third member, and the requester, may not answer
        refused = await app.router.act(stranger, accept)
        assert refused.tone is Tone.ERROR and "Only the invited member" in shown(refused)
    assert not await sessions_of(app, bob)

    answer = await app.router.act(bob, accept)
    assert answer.tone is Tone.SUCCESS, shown(answer)
    assert answer.carrier is not None and not answer.carrier.buttons
    (session,) = await sessions_of(app, bob)
    assert session.start == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert set(session.member_ids) == {alice.member.id, bob.member.id}  # type: ignore[attr-defined]
    await app.tick()
    told = chat.dms_to("alice")[-1]
    assert "Bob accepted" in shown(told) and "booked" in shown(told)
    (announcement,) = [m for _, m in chat.posts if m.title and "booked" in m.title]
    assert "Why this pairing:\n- you chose each other" in announcement.text

    again = await app.router.act(bob, accept)  # a double press books nothing more
    assert "accepted already" in shown(again)
    assert len(await sessions_of(app, bob)) == 1


async def test_declined_tells_the_requester_kindly(app: App, chat: FakeChat) -> None:
    alice, bob = await pair(app)
    _, invitation = await invite(app, chat, alice)
    answer = await app.router.act(bob, action(invitation, "Decline"))
    assert answer.carrier is not None and answer.carrier.note == "Declined."
    await app.tick()
    told = shown(chat.dms_to("alice")[-1])
    assert "can't practise Coding with you this time" in told and "/mock schedule coding" in told
    late = await app.router.act(bob, action(invitation, "Accept"))
    assert "declined" in shown(late) and not await sessions_of(app, bob)
    for who, side, other in ((alice, "sent", "Bob"), (bob, "received", "Alice")):
        exported = json.loads((await app.router.run(who, "export", {})).attachments[0].data)
        (entry,) = exported["invitations"]
        assert (entry["you"], entry["with"], entry["status"]) == (side, other, "declined")


async def test_an_unanswered_invitation_lapses_and_its_buttons_go(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    alice, bob = await pair(app)
    _, invitation = await invite(app, chat, alice)
    clock.advance(ANSWER_WITHIN - timedelta(minutes=1))
    await app.tick()
    assert not chat.edits
    clock.advance(timedelta(minutes=2))
    await app.tick()
    told = shown(chat.dms_to("alice")[-1])
    assert "lapsed" in told and "/mock schedule coding" in told
    ((_, edited),) = chat.edits
    assert not edited.buttons and "lapsed" in shown(edited)
    late = await app.router.act(bob, action(invitation, "Accept"))
    assert "lapsed" in shown(late) and not await sessions_of(app, bob)


async def test_withdrawn_by_the_requester_only(app: App, chat: FakeChat) -> None:
    alice, bob = await pair(app)
    sent, invitation = await invite(app, chat, alice)
    withdraw = action(sent, "Withdraw invitation")
    refused = await app.router.act(bob, withdraw)
    assert refused.tone is Tone.ERROR
    done = await app.router.act(alice, withdraw)
    assert done.carrier is not None and "Withdrawn" in done.carrier.note
    await app.tick()
    ((_, edited),) = chat.edits
    assert not edited.buttons and "withdrew" in shown(edited)
    assert "withdrawn" in shown(await app.router.act(bob, action(invitation, "Accept")))


async def test_crafted_ids_are_refused(app: App, chat: FakeChat) -> None:
    _alice, bob = await pair(app)
    for crafted in ("pl:friend.accept:" + "0" * 32, "pl:friend.decline:nope", "pl:friend.cancel"):
        answer = await app.router.act(bob, crafted)
        assert answer.tone is Tone.ERROR, crafted


async def test_a_block_either_way_cannot_be_arranged_and_says_nothing_of_it(
    app: App, chat: FakeChat
) -> None:
    alice, bob = await pair(app)
    assert (await app.router.run_text(bob, "block alice")).tone is Tone.SUCCESS
    refused = await app.router.run_text(alice, "schedule coding partner:bob")
    assert refused.tone is Tone.ERROR and "can't be arranged" in shown(refused)
    assert "block" not in shown(refused).lower()
    await app.tick()
    assert not chat.dms_to("bob")  # the member who blocked is not bothered either

    # A block made after the invitation: accepting books nothing, and both read the same.
    await app.router.run_text(bob, "unblock alice")
    _, invitation = await invite(app, chat, alice)
    await app.router.run_text(alice, "block bob")
    answer = await app.router.act(bob, action(invitation, "Accept"))
    await app.tick()
    for text in (shown(answer), shown(chat.dms_to("alice")[-1])):
        assert "can't be arranged" in text and "block" not in text.lower(), text
    assert not await sessions_of(app, bob)


async def test_no_common_time_is_refused_with_the_next_step(app: App, chat: FakeChat) -> None:
    alice = await ready_member(app, "alice", availability="daily 08:00-10:00")
    await ready_member(app, "bob", availability="daily 19:00-22:00")
    refused = await app.router.run_text(alice, "schedule coding partner:bob")
    assert "can't be arranged" in shown(refused) and "/mock availability" in shown(refused)


async def test_admins_pair_two_members_by_hand(app: App, chat: FakeChat) -> None:
    alice, _bob = await pair(app)
    admin = await make_actor(app, "ada", admin=True)
    assert (await app.router.run_text(alice, "admin pair a:alice b:bob type:coding")).tone is (
        Tone.ERROR
    )
    booked = await app.router.run_text(admin, "admin pair a:alice b:bob type:coding")
    assert booked.tone is Tone.SUCCESS and "first common time" in shown(booked)
    (session,) = await sessions_of(app, alice)
    assert session.start == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    await app.tick()
    assert "An admin paired you with Bob" in shown(chat.dms_to("alice")[-1])
    assert "An admin paired you with Alice" in shown(chat.dms_to("bob")[-1])
    assert any("- an admin paired you" in m.text for _, m in chat.posts)
    await ready_member(app, "dan", availability="daily 06:00-07:00")
    why = await app.router.run_text(admin, "admin pair a:alice b:dan type:coding")
    assert why.tone is Tone.ERROR and "no common time" in shown(why)


@pytest.mark.parametrize("second", ["Accept", "Withdraw invitation"])
async def test_two_presses_at_once_one_wins(
    database_url: str, clock: FakeClock, second: str
) -> None:
    """Accept twice, or accept and withdraw, at the same moment (SQLite and PostgreSQL)."""
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        alice, bob = await pair(app)
        sent, invitation = await invite(app, chat, alice)
        presser, message = (alice, sent) if second.startswith("Withdraw") else (bob, invitation)
        answers = await asyncio.gather(
            app.router.act(bob, action(invitation, "Accept")),
            app.router.act(presser, action(message, second)),
        )
        won = [a for a in answers if "already" not in shown(a) and "was " not in shown(a)]
        assert len(won) == 1, [shown(a) for a in answers]
        async with app.db.uow() as tx:
            assert not await tx.friends.pending_from(alice.member.id)
            stored = await tx.friends.get(invitation.buttons[0].action.rsplit(":", 1)[1])
        assert stored is not None
        booked = await sessions_of(app, bob)
        if stored.status is FriendStatus.BOOKED:
            assert len(booked) == 1 and stored.session_id == booked[0].id  # type: ignore[attr-defined]
        else:
            assert stored.status is FriendStatus.CANCELLED and not booked
    finally:
        await app.close()


async def test_the_same_invitation_twice_at_once_is_sent_once(
    database_url: str, clock: FakeClock
) -> None:
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        alice, _ = await pair(app)
        answers = await asyncio.gather(
            *(app.router.run_text(alice, "schedule coding partner:bob") for _ in range(2))
        )
        assert sorted(a.tone.value for a in answers) == ["error", "success"]
        assert any("already invited Bob" in shown(a) for a in answers)
        await app.tick()
        assert len(chat.dms_to("bob")) == 1
    finally:
        await app.close()


async def test_a_suspended_member_is_not_paired_and_the_other_is_not_told_why(
    app: App, chat: FakeChat
) -> None:
    alice, bob = await pair(app)
    admin = await make_actor(app, "ada", admin=True)
    suspended = await app.router.run_text(admin, "admin suspend member:bob days:3")
    assert suspended.tone is not Tone.ERROR, shown(suspended)
    refused = await app.router.run_text(alice, "schedule coding partner:bob")
    assert "can't be arranged" in shown(refused) and "suspend" not in shown(refused).lower()
    own = await app.router.run_text(bob, "schedule coding partner:alice")
    assert own.tone is Tone.ERROR and "paused your matching" in shown(own)
    why = await app.router.run_text(admin, "admin pair a:alice b:bob type:coding")
    assert why.tone is Tone.ERROR and "suspended" in shown(why)
    assert not await sessions_of(app, alice)
