"""When Discord changes under PeerLoop: a pair thread deleted, access to the pair channel taken
away, a member who left the server, the bot removed from a server and invited again, long rate
limits. Through discord.py against the fake Discord, which answers as Discord does (10003
Unknown Channel, 50001 Missing Access, 50007, 429 with ``retry_after``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import App
from bot.core.models import OutboxStatus, Session
from bot.core.ports import PairSpaceState
from tests.cogs.rig import (
    admin,
    app,
    book_a_pair,
    community_id,
    custom_ids,
    discord_runner,
    fake_discord,
    ready_for,
    settle,
    start_face,
    stored,
    text_of,
    with_profile,
)
from tests.conftest import delivered, eventually
from tests.fakes.discord_fixtures import DiscordRunner
from tests.fakes.fake_discord import VIEW_CHANNEL, FakeDiscord

__all__ = ["app", "discord_runner", "fake_discord"]


async def at(app: App, session: Session, before_start: timedelta) -> None:
    """Move the clock to ``before_start`` before the session and deliver everything due."""
    app.clock.set(session.start - before_start)  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)


async def thread_of(app: App, session_id: str) -> int:
    async with app.db.uow() as tx:
        space = await tx.sessions.pair_space(session_id)
    assert space is not None and space.ref is not None
    return int(space.ref)


async def space_state(app: App, session_id: str) -> PairSpaceState:
    async with app.db.uow() as tx:
        space = await tx.sessions.pair_space(session_id)
    assert space is not None
    return space.state


def reminders(fake: FakeDiscord, user: str) -> list[str]:
    return [text_of(m) for m in fake.dms_to(user) if "starts in about" in text_of(m)]


def posts_to(fake: FakeDiscord, channel_id: int, after: int) -> list[int]:
    """The statuses Discord answered the bot's requests on ``channel_id`` with (looking it up,
    posting in it), since ``after``."""
    return [
        r.status
        for r in fake.requests[after:]
        if r.path in (f"/channels/{channel_id}", f"/channels/{channel_id}/messages")
    ]


def _utc(value: datetime | str) -> datetime:
    """A timestamp as read back by plain SQL (SQLite gives text)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def incidents(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "incident" in r.getMessage()]


async def outbox_statuses(app: App) -> dict[str, OutboxStatus]:
    async with app.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT key, status FROM outbox"))).all()
    return {key: OutboxStatus(status) for key, status in rows}


async def test_a_deleted_pair_thread_moves_the_sessions_messages_to_dms_for_good(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    session = await book_a_pair(app, fake)
    thread = await thread_of(app, session.id)
    await fake.remove_channel(thread)  # an admin deletes the pair's thread
    mark = fake.mark()

    with caplog.at_level(logging.INFO):
        await at(app, session, timedelta(minutes=9))
    # Tried once (404 Unknown Channel), then the reminder went to both members directly, once.
    assert posts_to(fake, thread, mark) == [404]
    assert len(reminders(fake, "alice")) == 1 and len(reminders(fake, "bob")) == 1
    assert await space_state(app, session.id) is PairSpaceState.DIRECT
    assert not incidents(caplog)
    assert any("pair space is unavailable" in m for m in caplog.messages)
    assert all(s is OutboxStatus.SENT for s in (await outbox_statuses(app)).values())

    # The start's messages go straight to DMs: the deleted thread is not asked again.
    before = {u: len(fake.dms_to(u)) for u in ("alice", "bob")}
    await at(app, await stored(app, session.id), timedelta(0))
    assert posts_to(fake, thread, mark) == [404]
    assert all(len(fake.dms_to(u)) > before[u] for u in ("alice", "bob"))


async def test_access_taken_from_the_pair_channel_is_said_to_the_admins_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    admins = await fake.add_text_channel(fake.guild, "admins")
    pairs = fake.guild.text_channel_id
    reply = await admin(
        fake, "owner", "setup", {"admin_channel": admins["id"], "pair_channel": str(pairs)}
    )
    assert "Settings saved" in text_of(reply), text_of(reply)
    session = await book_a_pair(app, fake)
    thread = await thread_of(app, session.id)

    def notices() -> list[str]:
        return [text_of(m) for m in fake.messages_in(admins["id"]) if "lost access" in text_of(m)]

    # View Channel is taken from the bot in the pair channel: its thread answers 50001.
    await fake.deny_bot(pairs, VIEW_CHANNEL)
    mark = fake.mark()
    await at(app, session, timedelta(minutes=9))
    assert posts_to(fake, thread, mark) == [403]
    assert len(reminders(fake, "alice")) == 1 and len(reminders(fake, "bob")) == 1
    assert len(notices()) == 1
    assert "View Channel" in notices()[0]

    # Another pair: no thread can be opened there now (50001 again). Their messages go by DM;
    # the admins are not told again.
    fake.guild.member_roles[fake.add_user("dave").id] = []
    for user in ("carol", "dave"):
        await ready_for(fake, user, "coding")
    (second,) = (await app.matching.run_round(await community_id(app, fake))).sessions
    await app.tick()
    await delivered(app)
    assert [r.status for r in fake.requests_to("POST", f"/channels/{pairs}/threads")][-1] == 403
    assert await space_state(app, second.id) is PairSpaceState.DIRECT
    assert any(
        "You're paired" in text_of(m) or "paired" in text_of(m) for m in fake.dms_to("carol")
    )
    assert len(notices()) == 1

    # Choosing the pair channel again: a new loss is said again.
    async with app.db.uow() as tx:
        community = await tx.communities.get(await community_id(app, fake))
    assert community is not None and "pair spaces" in community.settings.room_notices
    await admin(fake, "owner", "setup", {"pair_channel": str(admins["id"])})
    async with app.db.uow() as tx:
        community = await tx.communities.get(community.id)
    assert community is not None and "pair spaces" not in community.settings.room_notices


async def test_removed_from_a_server_nothing_is_paired_or_sent_there_until_invited_again(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    session = await book_a_pair(app, fake)
    fake.guild.member_roles[fake.add_user("dave").id] = []
    for user in ("carol", "dave"):
        await ready_for(fake, user, "coding")
    cid = await community_id(app, fake)

    async def absent() -> bool:
        async with app.db.uow() as tx:
            community = await tx.communities.get(cid)
        assert community is not None
        return community.settings.absent

    await fake.remove_bot(fake.guild)  # kicked: GUILD_DELETE
    await eventually(absent, what="the server to be recorded as left")
    mark = fake.mark()
    with caplog.at_level(logging.INFO):
        assert (await app.matching.run_round(cid)).sessions == ()
        await at(app, session, timedelta(minutes=9))
    # Nothing was asked of Discord for that server: the reminder was given up at once.
    assert fake.requests[mark:] == []
    statuses = await outbox_statuses(app)
    assert [k for k, s in statuses.items() if s is OutboxStatus.FAILED]
    assert not [k for k, s in statuses.items() if s is OutboxStatus.PENDING]
    assert not incidents(caplog)

    # Invited again (GUILD_CREATE): pairing and delivery go on.
    await fake.add_bot(fake.guild)

    async def back() -> bool:
        return not await absent()

    await eventually(back, what="the server to be recorded as joined again")
    (second,) = (await app.matching.run_round(cid)).sessions
    await app.tick()
    await delivered(app)
    assert await space_state(app, second.id) is PairSpaceState.OPEN
    assert any(
        "paired" in text_of(m).lower() for m in fake.messages_in(await thread_of(app, second.id))
    )


async def test_a_long_rate_limit_is_retried_by_the_outbox_after_it_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """discord.py waits out a short 429 itself; a long one (over RATE_LIMIT_WAIT) is not slept
    through in place: the message waits in the outbox for ``retry_after``, then goes once."""
    fake = fake_discord
    await start_face(app, discord_runner)
    session = await book_a_pair(app, fake)
    thread = await thread_of(app, session.id)
    fake.fail_next("POST", f"/channels/{thread}/messages", 429, retry_after=120)
    mark = fake.mark()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await at(app, session, timedelta(minutes=9))
    assert loop.time() - began < 20  # not slept through
    assert posts_to(fake, thread, mark) == [429]
    async with app.db.engine.connect() as conn:
        (due,) = (
            await conn.execute(text("SELECT next_attempt_at FROM outbox WHERE status = 'pending'"))
        ).one()
    assert _utc(due) >= app.clock.now() + timedelta(seconds=120)

    app.clock.set(_utc(due))  # type: ignore[attr-defined]
    await app.tick()
    await delivered(app)
    assert posts_to(fake, thread, mark) == [429, 200]
    reminder = [m for m in fake.messages_in(thread) if "starts in about" in text_of(m)]
    assert len(reminder) == 1


async def test_a_rate_limited_followup_is_answered_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    await start_face(app, discord_runner)
    fake.fail_next("POST", "/webhooks/{app}/{token}", 429, retry_after=0.2)
    sent = await fake.interact(fake.slash_command("carol", fake.guild, "mock", {}, "help"))

    def answered() -> list[int]:
        return [r.status for r in fake.followups(sent["id"]) if r.method == "POST"]

    await fake.wait_until(lambda: 200 in answered(), what="the followup")
    await asyncio.sleep(0.3)  # room for a second answer, were there one
    assert answered() == [429, 200]


async def test_a_member_who_left_the_server_gets_the_guide_behind_a_button_in_the_thread(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discord refuses a DM to someone who shares no server with the bot (50007): the same
    fallback as closed DMs, no incident."""
    fake = fake_discord
    await start_face(app, discord_runner)
    session = await book_a_pair(app, fake)
    thread = await thread_of(app, session.id)
    async with app.db.uow() as tx:
        interviewer = await tx.members.get(session.interviewer_id)
    assert interviewer is not None
    fake.remove_member(fake.guild, int(interviewer.external_id))
    with caplog.at_level(logging.INFO):
        await at(app, session, timedelta(0))
    guide = [
        m
        for m in fake.messages_in(thread)
        if any(c.startswith("pl:guide.open:") for c in custom_ids(m))
        and (m.get("content") or "").startswith(f"<@{interviewer.external_id}>")
    ]
    assert len(guide) == 1
    assert not [
        m for m in fake.dms_to(int(interviewer.external_id)) if "guide" in text_of(m).lower()
    ][1:]
    assert not incidents(caplog)


def slow_commands(app: App) -> asyncio.Event:
    """Every command's work waits until the returned event is set."""
    go = asyncio.Event()
    real = app.router.run_path

    async def run_path(*args: Any, **kwargs: Any) -> Any:
        await go.wait()
        return await real(*args, **kwargs)

    app.router.run_path = run_path  # type: ignore[method-assign]
    return go


async def test_an_answer_after_the_token_expired_goes_to_the_members_dms(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Work that outlasts Discord's 15 minutes: the followup answers 10015 Unknown Webhook, so
    the answer goes to the member directly, once, and no incident is reported."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    go = slow_commands(app)
    sent = await fake.interact(fake.slash_command("carol", fake.guild, "mock", {}, "help"))
    assert (await fake.wait_for_interaction_response(sent))["type"] == 5  # deferred in time
    fake.expire(sent)
    with caplog.at_level(logging.INFO):
        go.set()
        await settle(client)
    assert [r.status for r in fake.followups(sent["id"])] == [404]
    (answer,) = fake.dms_to("carol")
    assert "/mock" in text_of(answer)
    assert not incidents(caplog)
    assert any("token expired" in m for m in caplog.messages)


async def test_an_interaction_replayed_after_a_resume_is_answered_once(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await fake.drop_connection(hold=True)  # the gateway goes; the client will RESUME
    sent = await fake.interact(fake.slash_command("carol", fake.guild, "mock", {}, "help"))
    fake.release_connections()
    await fake.wait_for_connection()
    reply = await fake.wait_for_interaction_response(sent)
    assert reply["type"] == 5
    await settle(client)
    assert len(fake.interaction_callbacks(sent["id"])) == 1
    assert [r.status for r in fake.followups(sent["id"])] == [200]


async def test_the_gateway_resuming_while_a_command_works_changes_nothing_for_its_answer(
    app: App, fake_discord: FakeDiscord, discord_runner: DiscordRunner
) -> None:
    """The answer goes over REST with the interaction's token: a gateway that drops and
    resumes meanwhile neither loses it nor sends it twice."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    go = slow_commands(app)
    sent = await fake.interact(fake.slash_command("carol", fake.guild, "mock", {}, "help"))
    await fake.wait_for_interaction_response(sent)
    await fake.drop_connection(hold=True)
    fake.release_connections()
    await fake.wait_for_connection()
    go.set()
    await settle(client)
    assert len(fake.interaction_callbacks(sent["id"])) == 1
    assert [r.status for r in fake.followups(sent["id"])] == [200]
    assert len(fake.resumes) == 1


async def test_an_interaction_delivered_too_late_to_answer_is_not_run(
    app: App,
    fake_discord: FakeDiscord,
    discord_runner: DiscordRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Replayed after a resume when Discord no longer takes its answer (10062): the member's
    app already said it failed, so nothing is done behind their back, and no incident."""
    fake = fake_discord
    client = await start_face(app, discord_runner)
    await with_profile(fake, "carol")
    await fake.drop_connection(hold=True)
    sent = await fake.interact(
        fake.slash_command("carol", fake.guild, "mock", {"type": "coding"}, "schedule")
    )
    fake.expire(sent)
    with caplog.at_level(logging.INFO):
        fake.release_connections()
        await fake.wait_for_connection()
        await fake.wait_until(lambda: fake.interaction_callbacks(sent["id"]), what="an answer")
        await settle(client)
    assert [r.status for r in fake.interaction_callbacks(sent["id"])] == [404]
    assert fake.followups(sent["id"]) == []
    async with app.db.uow() as tx:
        member = await tx.members.find(await community_id(app, fake), str(fake.user("carol").id))
        assert member is not None
        assert await tx.requests.open_for_member(member.id) == []
    assert not incidents(caplog)
