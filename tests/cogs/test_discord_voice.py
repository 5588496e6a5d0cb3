"""A session's private voice channel and scheduled event on Discord, through discord.py against
the fake Discord: the admin's category, the channel made before the start and visible to the
pair only, its link in the start message, removed after the end; a bot without Manage Channels
(the admins are told once, sessions go on); events created, moved and cancelled only when asked
for; a step claimed twice, or run again after a crash, makes one channel."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from bot.cogs.mock import PeerLoopClient
from bot.core.clock import FakeClock
from bot.core.models import ActionKind, ActionStatus, Platform, ScheduledAction, Session
from bot.core.services.session_steps import PlatformCall
from bot.core.services.step_runner import CALL_LEASE, StepRunner
from tests.cogs.rig import (
    admin,
    app,
    book_a_pair,
    click,
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
    stored,
    text_of,
)
from tests.conftest import delivered
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.discord_spec import load_discord_spec
from tests.fakes.fake_discord import ALL_PERMISSIONS_BOT, FakeDiscord
from tests.fakes.fake_discord_channels import CONNECT, MANAGE_CHANNELS, SPEAK, VIEW_CHANNEL

__all__ = ["app", "discord_runner", "fake_discord"]

CHANNELS = "/guilds/{id}/channels"
EVENTS = "/guilds/{id}/scheduled-events"
EVENT = "/guilds/{guild}/scheduled-events/{event}"


def category_id(fake: FakeDiscord) -> int:
    return int(next(c["id"] for c in fake.guild.channels if c["type"] == 4))


async def at(app: App, when: Any) -> None:
    clock = app.clock
    assert isinstance(clock, FakeClock)
    clock.set(when)
    await app.tick()
    await delivered(app)


def thread_of(fake: FakeDiscord) -> int:
    create = fake.requests_to("POST", "/channels/{id}/threads")[-1]
    return int(create.response["id"])


async def test_the_pair_gets_a_private_voice_channel_from_before_the_start_to_after_the_end(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    setup = registered(fake, "mockadmin", "setup")
    declared = {o["name"]: o for o in setup["options"]}
    # a channel picker that offers categories only
    assert declared["voice_category"]["type"] == 7
    assert declared["voice_category"]["channel_types"] == [4]
    assert {"voice_open", "voice_close", "session_events"} <= set(declared)

    category = category_id(fake)
    saved = await admin(fake, "owner", "setup", {"voice_category": category})
    assert "voice_category" in text_of(saved) and str(category) in text_of(saved)
    session = await book_a_pair(app, fake)
    assert not fake.requests_to("POST", CHANNELS)  # not yet: ten minutes before the start

    await at(app, session.start - timedelta(minutes=11))
    assert not fake.requests_to("POST", CHANNELS)
    await at(app, session.start - timedelta(minutes=10))
    (create,) = fake.requests_to("POST", CHANNELS)
    body = create.json
    assert body["type"] == 2 and body["parent_id"] == str(category)
    alice, bob, carol = (fake.user(n) for n in ("alice", "bob", "carol"))
    overwrites = {str(o["id"]): o for o in body["permission_overwrites"]}
    assert overwrites[str(fake.guild.id)] == {
        "id": str(fake.guild.id),
        "type": 0,
        "allow": 0,
        "deny": VIEW_CHANNEL | CONNECT,
    }
    for member in (alice, bob):
        assert overwrites[str(member.id)]["type"] == 1
        assert overwrites[str(member.id)]["allow"] == VIEW_CHANNEL | CONNECT | SPEAK
    assert overwrites[str(fake.bot.id)]["allow"] & (VIEW_CHANNEL | MANAGE_CHANNELS)
    assert set(overwrites) == {str(fake.guild.id), str(alice.id), str(bob.id), str(fake.bot.id)}
    # the body as Discord's OpenAPI description has it (overwrites' bits are integers there)
    spec = load_discord_spec()
    if spec is not None:
        assert not spec.check_all([create])
        as_text = [{**o, "allow": str(o["allow"])} for o in body["permission_overwrites"]]
        assert spec.check_all([replace(create, json={**body, "permission_overwrites": as_text})])
    channel = int(create.response["id"])
    # visible to and joinable by exactly the pair among the members
    assert fake.can_join(channel, alice.id) and fake.can_join(channel, bob.id)
    assert not fake.can_see(channel, carol.id)
    opened = await stored(app, session.id)
    link = f"https://discord.com/channels/{fake.guild.id}/{channel}"
    assert opened.voice_url == link

    await at(app, session.start)
    await settle(client)
    start = [
        m for m in fake.messages_in(thread_of(fake)) if "open the interviewer guide" in text_of(m)
    ]
    assert start and link in text_of(start[0])
    # Carol's upcoming says nothing of it
    await ready_for(fake, "carol", "coding")
    assert link not in text_of(await admin_free_upcoming(fake, "carol"))

    end = session.start + timedelta(minutes=session.minutes)
    await at(app, end + timedelta(minutes=29))
    assert not fake.requests_to("DELETE", "/channels/{id}")
    await at(app, end + timedelta(minutes=30))
    (delete,) = fake.requests_to("DELETE", "/channels/{id}")
    assert delete.path == f"/channels/{channel}" and delete.status == 200
    assert channel not in fake.channels
    assert (await stored(app, session.id)).voice_ref is None
    await settle(client)


async def admin_free_upcoming(fake: FakeDiscord, user: str) -> dict[str, Any]:
    sent = await fake.interact(fake.slash_command(user, fake.guild, "mock", {}, "upcoming"))
    return await reply_to(fake, sent)


class Killed(BaseException):
    """The process dies (not an error the runner would catch and retry)."""


async def at_voice_open(
    app: App, fake: FakeDiscord, discord_runner: DiscordRunner
) -> tuple[PeerLoopClient, Session, ScheduledAction]:
    """A booked pair with a voice category set, the clock at their channel's opening step
    (returned, not yet run)."""
    client = await start_face(app, discord_runner)
    await admin(fake, "owner", "setup", {"voice_category": category_id(fake)})
    session = await book_a_pair(app, fake)
    async with app.db.uow() as tx:
        (step,) = [
            a for a in await tx.actions.for_session(session.id) if a.kind is ActionKind.VOICE_OPEN
        ]
    clock = app.clock
    assert isinstance(clock, FakeClock)
    clock.set(step.due_at)
    return client, session, step


class CrashingAfterOpen:
    """The Discord chat port, dying right after Discord made the voice channel."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def open_voice(self, *args: Any) -> Any:
        await self.real.open_voice(*args)
        raise Killed


async def test_a_step_claimed_twice_or_run_again_after_a_crash_makes_one_channel(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client, session, step = await at_voice_open(app, fake, discord_runner)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    # A crash after Discord made the channel, before the step's transaction committed: the
    # step is still pending and the session knows no channel.
    real = app.chats[Platform.DISCORD]
    app.chats[Platform.DISCORD] = CrashingAfterOpen(real)  # type: ignore[assignment]
    with pytest.raises(Killed):
        await app.steps.run_one(step.id)
    app.chats[Platform.DISCORD] = real
    (create,) = fake.requests_to("POST", CHANNELS)
    channel = create.response["id"]
    assert (await stored(app, session.id)).voice_ref is None

    # The step was leased before Discord was asked (the lease committed, no transaction held
    # open while Discord answered): until the lease runs out, no worker asks again while the
    # first might still be waiting for its answer.
    async with app.db.uow() as tx:
        leased = await tx.actions.get(step.id)
    assert leased is not None and leased.status is ActionStatus.PENDING
    assert not await app.steps.run_one(step.id)
    assert len(fake.requests_to("POST", CHANNELS)) == 1
    # After the lease, two workers claim the same step at once: one runs it and finds the
    # channel it made; nothing makes a second one.
    clock.set(step.due_at + CALL_LEASE)
    other = StepRunner(app.db.uow, clock, app.prompts, app.steps.hooks, chats=app.chats)
    ran = await asyncio.gather(app.steps.run_one(step.id), other.run_one(step.id))
    assert sorted(ran) == [False, True]
    assert len(fake.requests_to("POST", CHANNELS)) == 1
    assert (await stored(app, session.id)).voice_ref == channel
    assert len(fake.voice_channels(fake.guild)) == 1
    await settle(client)


class SlowToOpen:
    """The Discord chat port, with Discord slow to make the voice channel (rate limited, say):
    ``open_voice`` waits for ``answer`` before asking."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.asking = asyncio.Event()
        self.answer = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def open_voice(self, *args: Any) -> Any:
        self.asking.set()
        await self.answer.wait()
        return await self.real.open_voice(*args)

    async def put_event(self, *args: Any) -> Any:
        self.asking.set()
        await self.answer.wait()
        return await self.real.put_event(*args)


async def test_a_slow_discord_holds_no_transaction_and_a_session_called_off_meanwhile_keeps_no_channel(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """While Discord takes its time making the channel, the step holds no transaction: a member
    cancels the session meanwhile (a write on the same session) and is answered at once. The
    channel Discord then makes is no longer wanted: it is removed, and the session keeps none."""
    fake = fake_discord
    client, session, step = await at_voice_open(app, fake, discord_runner)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    real = app.chats[Platform.DISCORD]
    slow = SlowToOpen(real)
    app.chats[Platform.DISCORD] = slow  # type: ignore[assignment]
    opening = asyncio.create_task(app.steps.run_one(step.id))
    await asyncio.wait_for(slow.asking.wait(), 5)

    (announcement,) = fake.messages_in(thread_of(fake))
    cancel = next(c for c in custom_ids(announcement) if c.startswith("pl:session.cancel:"))

    async def alice_cancels() -> None:
        await click(fake, "alice", cancel, announcement["id"])
        await settle(client)
        await app.tick()  # the close step queued by the cancel: no channel by that name yet

    # With the step's transaction open, this write would wait for SQLite's lock (or the
    # session's row lock on PostgreSQL) until Discord answered.
    await asyncio.wait_for(alice_cancels(), 5)
    assert (await stored(app, session.id)).state.value == "cancelled"
    assert not opening.done()

    slow.answer.set()
    assert not await opening  # the step was called off meanwhile: not this runner's to finish
    app.chats[Platform.DISCORD] = real
    assert len(fake.requests_to("POST", CHANNELS)) == 1
    await app.tick()
    await delivered(app)
    assert not fake.voice_channels(fake.guild)
    (deleted,) = fake.requests_to("DELETE", "/channels/{id}")
    assert deleted.path.endswith(str(fake.requests_to("POST", CHANNELS)[0].response["id"]))
    assert (await stored(app, session.id)).voice_ref is None
    await settle(client)


async def test_an_event_made_while_the_session_was_called_off_is_cancelled(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """Discord is slow to make the session's event; meanwhile a member cancels the session (the
    event's cancel step finds no event yet). The event Discord then makes is recorded on the
    session and cancelled by a step of its own: none is left for the whole server to see."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await admin(fake, "owner", "setup", {"session_events": True})
    await ready_for(fake, "alice", "coding")
    await ready_for(fake, "bob", "coding")
    real = app.chats[Platform.DISCORD]
    slow = SlowToOpen(real)
    app.chats[Platform.DISCORD] = slow  # type: ignore[assignment]
    (session,) = (await app.matching.run_round(await community_id(app, fake))).sessions
    ticking = asyncio.create_task(app.tick())  # the event step starts, Discord is slow
    await asyncio.wait_for(slow.asking.wait(), 5)
    (alice,) = await app.actors.resolve_direct(Platform.DISCORD, str(fake.user("alice").id))
    # No lock is held while Discord answers: Alice's cancel goes through at once.
    await asyncio.wait_for(app.sessions.cancel(alice, session.id), 5)
    slow.answer.set()
    await ticking
    app.chats[Platform.DISCORD] = real
    await app.tick()
    await delivered(app)
    (made,) = fake.requests_to("POST", EVENTS)
    # Cancelled (the session's own cancel step may find it too, by then: already gone is fine).
    cancels = fake.requests_to("DELETE", EVENT)
    assert cancels and all(c.path.endswith(made.response["id"]) for c in cancels)
    assert cancels[0].status == 204
    assert not fake.scheduled_events.get(fake.guild.id)
    assert (await stored(app, session.id)).event_ref == made.response["id"]
    await settle(client)


async def test_without_manage_channels_the_admins_are_told_once_and_sessions_go_on(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    fake.set_bot_permissions(fake.guild, ALL_PERMISSIONS_BOT & ~MANAGE_CHANNELS)
    admins = fake.guild.text_channel_id
    await admin(
        fake, "owner", "setup", {"voice_category": category_id(fake), "admin_channel": admins}
    )
    first = await book_a_pair(app, fake, "coding")
    second = await book_a_pair(app, fake, "system-design")
    assert first.id != second.id
    await at(app, max(first.start, second.start) + timedelta(minutes=1))
    await settle(client)
    refused = fake.requests_to("POST", CHANNELS)
    assert len(refused) == 2 and {r.status for r in refused} == {403}
    notices = [m for m in fake.messages_in(admins) if "Manage Channels" in text_of(m)]
    assert len(notices) == 1, [text_of(m) for m in fake.messages_in(admins)]
    assert "call links" in text_of(notices[0])
    for session in (first, second):
        after = await stored(app, session.id)
        assert after.state.value in ("in_progress", "completed") and after.voice_ref is None
        async with app.db.uow() as tx:
            steps = await tx.actions.for_session(session.id)
        (opened,) = [s for s in steps if s.kind is ActionKind.VOICE_OPEN]
        assert opened.status is ActionStatus.SKIPPED
    starts = [
        m for m in fake.messages_in(thread_of(fake)) if "open the interviewer guide" in text_of(m)
    ]
    assert starts and "discord.com/channels" not in text_of(starts[-1])
    assert first.call_url and any(
        first.call_url in text_of(m)
        for t in fake.requests_to("POST", "/channels/{id}/threads")
        for m in fake.messages_in(int(t.response["id"]))
    )
    await settle(client)


async def test_scheduled_events_follow_the_session_when_asked_for(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await admin(
        fake, "owner", "setup", {"voice_category": category_id(fake), "session_events": True}
    )
    session = await book_a_pair(app, fake)
    (create,) = fake.requests_to("POST", EVENTS)
    body = create.json
    assert body["entity_type"] == 3 and body["privacy_level"] == 2
    assert "Alice" not in body["name"] and "Bob" not in body["name"]
    assert session.call_url and session.call_url not in str(body)  # the whole server sees it
    event_id = create.response["id"]
    assert (await stored(app, session.id)).event_ref == event_id

    # Bob asks for another time: the event moves.
    (announcement,) = [m for m in fake.messages_in(thread_of(fake)) if custom_ids(m)][:1]
    again = next(c for c in custom_ids(announcement) if c.startswith("pl:session.reschedule:"))
    await reply_to(fake, await fake.interact(fake.button_click("bob", again, announcement["id"])))
    await app.tick()
    moved = await stored(app, session.id)
    assert moved.start != session.start
    (patch,) = fake.requests_to("PATCH", EVENT)
    assert patch.path.endswith(event_id)
    assert patch.json["scheduled_start_time"] == moved.start.isoformat()

    # Ten minutes before: the channel opens and the event moves into it (only the pair sees it).
    await at(app, moved.start - timedelta(minutes=10))
    (channel,) = fake.voice_channels(fake.guild)
    last = fake.requests_to("PATCH", EVENT)[-1]
    assert last.json["entity_type"] == 2 and last.json["channel_id"] == channel["id"]
    assert len(fake.requests_to("POST", EVENTS)) == 1

    # Alice can't make it: the event is cancelled and the channel removed.
    proposal = [
        m
        for m in fake.messages_in(thread_of(fake))
        if any(c.startswith("pl:session.cancel:") for c in custom_ids(m))
    ][-1]
    cancel = next(c for c in custom_ids(proposal) if c.startswith("pl:session.cancel:"))
    await reply_to(fake, await fake.interact(fake.button_click("alice", cancel, proposal["id"])))
    await app.tick()
    await delivered(app)
    (deleted,) = fake.requests_to("DELETE", EVENT)
    assert deleted.path.endswith(event_id) and not fake.scheduled_events.get(fake.guild.id)
    assert not fake.voice_channels(fake.guild)
    await settle(client)


async def test_no_scheduled_event_when_the_option_is_off(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    session = await book_a_pair(app, fake)
    await at(app, session.start + timedelta(minutes=session.minutes + 60))
    assert not fake.requests_to("POST", EVENTS) and not fake.requests_to("POST", CHANNELS)
    await settle(client)


class CrashingAfterEvent(CrashingAfterOpen):
    """The Discord chat port, dying right after Discord made the scheduled event."""

    async def put_event(self, *args: Any) -> Any:
        await self.real.put_event(*args)
        raise Killed


async def test_an_event_step_run_again_after_a_crash_makes_one_event(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await admin(fake, "owner", "setup", {"session_events": True})
    await ready_for(fake, "alice", "coding")
    await ready_for(fake, "bob", "coding")
    cid = await community_id(app, fake)
    (session,) = (await app.matching.run_round(cid)).sessions
    real = app.chats[Platform.DISCORD]
    app.chats[Platform.DISCORD] = CrashingAfterEvent(real)  # type: ignore[assignment]
    with pytest.raises(Killed):
        await app.tick()
    app.chats[Platform.DISCORD] = real
    assert (await stored(app, session.id)).event_ref is None
    await app.tick()  # the crashed call's lease still holds: nobody asks Discord again yet
    assert len(fake.requests_to("POST", EVENTS)) == 1
    clock = app.clock
    assert isinstance(clock, FakeClock)
    clock.advance(CALL_LEASE)
    await app.tick()
    await delivered(app)
    (made,) = fake.requests_to("POST", EVENTS)
    assert (await stored(app, session.id)).event_ref == made.response["id"]
    assert len(fake.scheduled_events[fake.guild.id]) == 1
    assert fake.requests_to("GET", EVENTS)  # it looked for the one it made before making one
    await settle(client)


async def test_the_admins_roles_may_see_and_join_the_pairs_channel(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """A role with Manage Server (who run /mockadmin) or Administrator gets View and Connect
    on the pair's channel; other roles and members get nothing, and a bot's own role is left
    out."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    manage_guild = 1 << 5
    moderators, helpers = fake.snowflake(), fake.snowflake()
    fake.guild.roles += [
        {
            **fake.guild.roles[0],
            "id": str(moderators),
            "name": "Mods",
            "permissions": str(manage_guild | VIEW_CHANNEL),
            "position": 2,
        },
        {
            **fake.guild.roles[0],
            "id": str(helpers),
            "name": "Helpers",
            "permissions": str(VIEW_CHANNEL | CONNECT),
            "position": 3,
        },
    ]
    mod = fake.add_user("mod")
    fake.guild.member_roles[mod.id] = [moderators]
    await admin(fake, "owner", "setup", {"voice_category": category_id(fake)})
    session = await book_a_pair(app, fake)
    await at(app, session.start - timedelta(minutes=10))
    (create,) = fake.requests_to("POST", CHANNELS)
    overwrites = {str(o["id"]): o for o in create.json["permission_overwrites"]}
    assert overwrites[str(moderators)] == {
        "id": str(moderators),
        "type": 0,
        "allow": VIEW_CHANNEL | CONNECT,
        "deny": 0,
    }
    assert str(helpers) not in overwrites
    bot_roles = [r["id"] for r in fake.guild.roles if r["managed"]]
    assert not set(bot_roles) & set(overwrites)
    spec = load_discord_spec()
    if spec is not None:
        assert not spec.check_all([create])
    channel = int(create.response["id"])
    assert fake.can_see(channel, mod.id)
    assert fake.permissions_in(channel, mod.id) & CONNECT
    assert not fake.can_see(channel, fake.user("carol").id)
    await settle(client)


async def test_forget_me_removes_the_sessions_voice_channel_and_event(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """The voice channel's overwrites name the forgotten member's Discord id, and the session
    will not take place: a stored step removes both after the erasure, is retried after a
    failure (by a runner started afresh, as after a restart), and run again is harmless."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await admin(
        fake, "owner", "setup", {"voice_category": category_id(fake), "session_events": True}
    )
    session = await book_a_pair(app, fake)
    await at(app, session.start - timedelta(minutes=10))
    (channel,) = fake.voice_channels(fake.guild)
    alice = fake.user("alice")
    assert fake.can_join(channel["id"], alice.id)
    (event,) = fake.scheduled_events[fake.guild.id]
    assert str(event["channel_id"]) == str(channel["id"])

    failing = fake.fail_next("DELETE", "/channels/{id}", 400, times=100)  # until removed
    ask = await command(fake, "alice", "forget-me")
    delete_id = next(c for c in custom_ids(ask) if c.startswith("pl:privacy.forget:"))
    done = await click(fake, "alice", delete_id, ask["id"])
    assert "Your data is deleted" in text_of(done)
    await app.tick()
    await delivered(app)
    async with app.db.uow() as tx:
        assert await tx.sessions.get(session.id) is None
        (step,) = await tx.actions.by_kind(ActionKind.ROOM_REMOVE)
    assert step.session_id is None and step.status is ActionStatus.PENDING and step.attempts >= 1
    assert "Discord 400" in (step.last_error or "")
    # It holds the platform's references and names, nothing of the member.
    for kept in (str(alice.id), "alice", "Alice", session.interviewer_id, session.candidate_id):
        assert kept not in str(step.payload)
    assert [channel["id"], channel["name"]] in step.payload["channels"]  # type: ignore[operator]
    assert step.payload["event_ref"] == event["id"]
    assert fake.voice_channels(fake.guild)  # not yet: the step waits for its retry

    fake.faults.remove(failing)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    clock.set(step.due_at + timedelta(hours=1))
    restarted = StepRunner(app.db.uow, clock, app.prompts, app.steps.hooks, chats=app.chats)
    assert await restarted.run_one(step.id)
    assert not fake.voice_channels(fake.guild) and int(channel["id"]) not in fake.channels
    assert not fake.scheduled_events.get(fake.guild.id)
    async with app.db.uow() as tx:
        finished = await tx.actions.get(step.id)
    assert finished is not None and finished.status is ActionStatus.DONE

    # Run again (a second worker, a retry after a crash before it was marked done): both are
    # gone already, which is fine.
    deletes = len(fake.requests_to("DELETE", "/channels/{id}"))
    async with app.db.uow() as tx:
        again = await app.steps.handler(ActionKind.ROOM_REMOVE)(tx, step, clock.now())
    assert isinstance(again, PlatformCall)
    answer = await again.call()
    async with app.db.uow() as tx:
        assert await again.record(tx, answer, True) == (ActionStatus.DONE, None)
    assert len(fake.requests_to("DELETE", "/channels/{id}")) == deletes + 1
    assert fake.requests_to("DELETE", "/channels/{id}")[-1].status == 404
    assert fake.requests_to("DELETE", EVENT)[-1].status == 404
    # Bob was told the session is off, and nobody else was told anything about Alice.
    assert any("session is off" in text_of(m) for m in fake.dms_to("bob"))
    await settle(client)


async def test_forget_me_without_the_permission_tells_the_admins_and_removes_the_room_once_given(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """Forget-me while PeerLoop may no longer manage channels: the admins are told what is
    missing, and the removal is tried again every few hours (not dropped) until the permission
    is back; then the channel naming the forgotten member goes."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    admins = fake.guild.text_channel_id
    await admin(
        fake, "owner", "setup", {"voice_category": category_id(fake), "admin_channel": admins}
    )
    session = await book_a_pair(app, fake)
    await at(app, session.start - timedelta(minutes=10))
    (channel,) = fake.voice_channels(fake.guild)

    fake.set_bot_permissions(fake.guild, ALL_PERMISSIONS_BOT & ~MANAGE_CHANNELS)
    ask = await command(fake, "alice", "forget-me")
    delete_id = next(c for c in custom_ids(ask) if c.startswith("pl:privacy.forget:"))
    assert "Your data is deleted" in text_of(await click(fake, "alice", delete_id, ask["id"]))
    await app.tick()
    await delivered(app)
    assert fake.voice_channels(fake.guild)  # refused: 403
    assert fake.requests_to("DELETE", "/channels/{id}")[-1].status == 403
    told = [m for m in fake.messages_in(admins) if "needs a permission" in text_of(m)]
    assert len(told) == 1 and "Manage Channels" in text_of(told[0])
    async with app.db.uow() as tx:
        steps = await tx.actions.by_kind(ActionKind.ROOM_REMOVE)
    (first,) = [s for s in steps if s.status is ActionStatus.SKIPPED]
    (again,) = [s for s in steps if s.status is ActionStatus.PENDING]
    assert "missing permission" in (first.last_error or "")
    assert again.payload["channels"] == first.payload["channels"]

    # Still missing six hours later: tried, refused, told nobody twice, tried again later.
    clock = app.clock
    assert isinstance(clock, FakeClock)
    await at(app, again.due_at)
    assert fake.voice_channels(fake.guild)
    assert len([m for m in fake.messages_in(admins) if "needs a permission" in text_of(m)]) == 1

    # The admins give the permission back: the next try removes the channel, and that is all.
    fake.set_bot_permissions(fake.guild, ALL_PERMISSIONS_BOT)
    await at(app, clock.now() + timedelta(hours=6))
    assert not fake.voice_channels(fake.guild) and int(channel["id"]) not in fake.channels
    async with app.db.uow() as tx:
        steps = await tx.actions.by_kind(ActionKind.ROOM_REMOVE)
    assert [s.status for s in steps].count(ActionStatus.DONE) == 1
    assert not [s for s in steps if s.status is ActionStatus.PENDING]
    await settle(client)


async def test_forget_me_after_a_session_removes_its_channel_still_open(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """A past session stays for the partner, but its channel (open until a while after the
    end, naming the forgotten member in its overwrites) goes at once."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await admin(fake, "owner", "setup", {"voice_category": category_id(fake)})
    session = await book_a_pair(app, fake)
    await at(app, session.start + timedelta(minutes=session.minutes + 5))
    assert (await stored(app, session.id)).state.value == "completed"
    (channel,) = fake.voice_channels(fake.guild)

    ask = await command(fake, "bob", "forget-me")
    delete_id = next(c for c in custom_ids(ask) if c.startswith("pl:privacy.forget:"))
    assert "Your data is deleted" in text_of(await click(fake, "bob", delete_id, ask["id"]))
    await app.tick()
    await delivered(app)
    assert not fake.voice_channels(fake.guild) and int(channel["id"]) not in fake.channels
    kept = await stored(app, session.id)
    assert kept.voice_ref is None and kept.voice_url is None
    assert str(fake.user("bob").id) not in str(kept)
    async with app.db.uow() as tx:
        steps = await tx.actions.for_session(session.id)
    assert not [s for s in steps if s.status is ActionStatus.PENDING]
    await settle(client)
