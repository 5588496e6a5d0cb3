"""When Slack changes under PeerLoop or pushes back: long rate limits (429 with Retry-After) on
chat.postMessage, conversations.open and views.open, a form opened too late
(``expired_trigger_id``), a group DM archived, members deactivated or gone, the app uninstalled.
Through bolt and slack_sdk against the fake Slack."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.core.messages import OutboundMessage
from bot.core.models import OutboxStatus, Platform, Session
from bot.core.ports import DirectMessagesClosed, PairSpaceState, SpaceUnavailable
from bot.listeners.face import FORM_NOT_OPENED
from tests.conftest import delivered, eventually
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    community_id,
    listeners_done,
    ready,
    reply_text,
    responses,
    rig,
)

__all__ = ["rig"]

DAVE = "UDAVE"


async def pair(rig: Rig, *users: str) -> Session:
    """``users`` (two) set their profiles and ask for coding; a round pairs them. The session."""
    for user in users:
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    (session,) = (await rig.app.matching.run_round(await community_id(rig.app))).sessions
    return session


async def deliver(rig: Rig) -> None:
    await rig.app.tick()
    await delivered(rig.app)


async def outbox(rig: Rig) -> list[tuple[str, OutboxStatus, datetime]]:
    async with rig.app.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT key, status, next_attempt_at FROM outbox"))).all()
    return [(key, OutboxStatus(status), _utc(due)) for key, status, due in rows]


def _utc(value: datetime | str) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def space_of(rig: Rig, session_id: str) -> tuple[PairSpaceState, str | None]:
    async with rig.app.db.uow() as tx:
        space = await tx.sessions.pair_space(session_id)
    assert space is not None
    return space.state, space.ref


def incidents(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "incident" in r.getMessage()]


def posted(rig: Rig) -> list[dict]:
    """chat.postMessage calls Slack accepted (a fault is answered before the call counts)."""
    return [a for a in rig.fake.of("chat.postMessage") if "answered_ts" in a]


async def test_a_long_rate_limit_waits_in_the_outbox_and_the_message_goes_once(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """slack_sdk waits out a short Retry-After itself; a long one is not slept through in
    place (the delivery would outlast its claim): the message waits in the outbox, then goes."""
    session = await pair(rig, ALICE, BOB)
    rig.fake.fail_next("chat.postMessage", status=429, retry_after=30)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.INFO):
        await deliver(rig)
    assert loop.time() - began < 10
    (waiting,) = [row for row in await outbox(rig) if row[1] is OutboxStatus.PENDING]
    assert waiting[2] >= rig.app.clock.now() + timedelta(seconds=30)
    assert not incidents(caplog)

    rig.app.clock.set(waiting[2])  # type: ignore[attr-defined]
    await deliver(rig)
    statuses = [status for _, status, _ in await outbox(rig)]
    assert set(statuses) == {OutboxStatus.SENT}
    # Each message posted once (the refused attempt was not posted).
    assert len(posted(rig)) == len(statuses)
    assert (await space_of(rig, session.id))[0] is PairSpaceState.OPEN


async def test_a_rate_limited_group_dm_is_opened_later_not_given_up(rig: Rig) -> None:
    session = await pair(rig, ALICE, BOB)
    rig.fake.fail_next(
        "conversations.open", retry_after=30, where=lambda a: "," in str(a.get("users"))
    )
    await deliver(rig)
    state, _ = await space_of(rig, session.id)
    assert state is PairSpaceState.NONE  # the claim was given back: nothing was made
    due = min(d for _, s, d in await outbox(rig) if s is OutboxStatus.PENDING)
    rig.app.clock.set(due)  # type: ignore[attr-defined]
    await deliver(rig)
    state, ref = await space_of(rig, session.id)
    assert state is PairSpaceState.OPEN and ref is not None and ref.startswith("G")
    assert {s for _, s, _ in await outbox(rig)} == {OutboxStatus.SENT}
    group_posts = [a for a in posted(rig) if a["channel"] == ref]
    assert len({a["text"] for a in group_posts}) == len(group_posts)  # none twice


async def test_an_archived_group_dm_moves_the_sessions_messages_to_dms(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    session = await pair(rig, ALICE, BOB)
    await deliver(rig)
    _, group = await space_of(rig, session.id)
    assert group is not None
    rig.fake.archived.add(group)
    before = len(rig.fake.of("chat.postMessage"))
    with caplog.at_level(logging.INFO):
        rig.app.clock.set(session.start - timedelta(minutes=9))  # type: ignore[attr-defined]
        await deliver(rig)
    calls = rig.fake.of("chat.postMessage")[before:]
    assert [a["channel"] for a in calls if a["channel"] == group] == [group]  # tried once
    reminders = [a["channel"] for a in calls if "starts in about" in blob(a)]
    assert sorted(reminders) == sorted([group, f"D{ALICE}", f"D{BOB}"])
    assert (await space_of(rig, session.id))[0] is PairSpaceState.DIRECT
    assert {s for _, s, _ in await outbox(rig)} == {OutboxStatus.SENT}
    assert not incidents(caplog)


@pytest.mark.parametrize(
    "error", ["cannot_dm_bot", "user_not_found", "user_disabled", "account_inactive"]
)
async def test_a_member_who_cannot_get_a_direct_message_is_reported_as_such(
    rig: Rig, error: str
) -> None:
    await ready(rig, ALICE)
    async with rig.app.db.uow() as tx:
        alice = await tx.members.find(await community_id(rig.app), ALICE)
    assert alice is not None
    rig.fake.fail_next("conversations.open", status=200, error=error, retry_after=None)
    with pytest.raises(DirectMessagesClosed):
        await rig.app.chats[Platform.SLACK].send_direct(alice, OutboundMessage(text="Hello"))


@pytest.mark.parametrize(
    ("error", "needs_admin"),
    [("is_archived", False), ("channel_not_found", False), ("not_in_channel", True)],
)
async def test_a_channel_gone_or_closed_to_the_app_is_reported_as_such(
    rig: Rig, error: str, needs_admin: bool
) -> None:
    await ready(rig, ALICE)
    async with rig.app.db.uow() as tx:
        community = await tx.communities.get(await community_id(rig.app))
    assert community is not None
    rig.fake.fail_next("chat.postMessage", status=200, error=error, retry_after=None)
    with pytest.raises(SpaceUnavailable) as refused:
        await rig.app.chats[Platform.SLACK].post(community, "C1", OutboundMessage(text="Hi"))
    assert refused.value.needs_admin is needs_admin


async def test_a_deactivated_member_gets_the_sessions_messages_in_the_group_dm(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    session = await pair(rig, ALICE, BOB)
    await deliver(rig)
    _, group = await space_of(rig, session.id)
    async with rig.app.db.uow() as tx:
        interviewer = await tx.members.get(session.interviewer_id)
    assert interviewer is not None
    rig.fake.deactivated.add(interviewer.external_id)
    with caplog.at_level(logging.INFO):
        rig.app.clock.set(session.start)  # type: ignore[attr-defined]
        await deliver(rig)
    # The interviewer guide is private: only a button to it in the group DM, no incident.
    guide = [
        a
        for a in posted(rig)
        if a["channel"] == group and "couldn't message you directly" in blob(a)
    ]
    assert len(guide) == 1 and "pl:guide.open:" in blob(guide[0])
    assert "A strong answer" not in blob(guide[0])
    assert not incidents(caplog)


@pytest.mark.parametrize(
    ("status", "error", "retry_after"),
    [(200, "expired_trigger_id", None), (429, "ratelimited", 30)],
)
async def test_a_form_slack_will_not_open_now_is_answered_with_how_to_open_it(
    rig: Rig, caplog: pytest.LogCaptureFixture, status: int, error: str, retry_after: int | None
) -> None:
    await ready(rig, ALICE)
    rig.fake.fail_next("views.open", status=status, error=error, retry_after=retry_after)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.INFO):
        status_code, _, key = await rig.send.command(ALICE, "schedule")
        assert status_code == 200
        await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 1)
        await listeners_done()
    assert loop.time() - began < 10  # a long Retry-After is not slept through
    (answer,) = responses(rig.fake, key)
    assert answer["response_type"] == "ephemeral"
    assert FORM_NOT_OPENED.split(" (")[0] in blob(answer)
    assert not incidents(caplog)
    assert rig.fake.count("views.open") == 1

    # Run again, the form opens.
    status_code, _, key = await rig.send.command(ALICE, "schedule")
    await rig.fake.wait_for(lambda: rig.fake.count("views.open") == 2)


async def test_an_uninstalled_workspace_is_left_alone_until_someone_uses_peerloop_again(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    session = await pair(rig, ALICE, BOB)
    await deliver(rig)
    for user in (CAROL, DAVE):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    cid = await community_id(rig.app)

    async def absent() -> bool:
        async with rig.app.db.uow() as tx:
            community = await tx.communities.get(cid)
        assert community is not None
        return community.settings.absent

    status, _ = await rig.send.event({"type": "app_uninstalled"})
    assert status == 200
    await eventually(absent, what="the workspace to be recorded as left")
    calls = len(rig.fake.calls)
    with caplog.at_level(logging.INFO):
        assert (await rig.app.matching.run_round(cid)).sessions == ()
        rig.app.clock.set(session.start - timedelta(minutes=9))  # type: ignore[attr-defined]
        await deliver(rig)
    assert rig.fake.calls[calls:] == []  # nothing asked of a workspace that removed the app
    assert {s for _, s, _ in await outbox(rig)} <= {OutboxStatus.SENT, OutboxStatus.FAILED}
    assert OutboxStatus.FAILED in {s for _, s, _ in await outbox(rig)}
    assert not incidents(caplog)

    # Reinstalled: the first member to use it brings pairing back.
    await reply_text(rig, CAROL, "help")
    assert not await absent()
    assert len((await rig.app.matching.run_round(cid)).sessions) == 1


async def test_files_that_fail_after_their_message_went_follow_alone_without_repeating_it(
    rig: Rig,
) -> None:
    """Slack takes a message's files apart from its text: when the upload is refused after the
    text was posted (here a long rate limit), only the files are sent again."""
    session = await pair(rig, ALICE, BOB)
    rig.fake.fail_next("files.getUploadURLExternal", retry_after=30)
    await deliver(rig)
    statuses = {key: status for key, status, _ in await outbox(rig)}
    files_keys = [k for k in statuses if k.endswith(":files")]
    assert len(files_keys) == 1 and statuses[files_keys[0]] is OutboxStatus.PENDING
    due = min(d for _, s, d in await outbox(rig) if s is OutboxStatus.PENDING)
    rig.app.clock.set(due)  # type: ignore[attr-defined]
    await deliver(rig)
    assert {s for _, s, _ in await outbox(rig)} == {OutboxStatus.SENT}
    # The announcement was posted once; its calendar file went once, on its own.
    _, group = await space_of(rig, session.id)
    announced = [
        a for a in posted(rig) if a["channel"] == group and "pl:session.confirm:" in blob(a)
    ]
    assert len(announced) == 1
    shared = [a for a in rig.fake.of("files.completeUploadExternal")]
    assert len(shared) == 1 and shared[0]["channel_id"] == group
    assert shared[0]["files"][0]["title"].endswith(".ics")


@pytest.mark.parametrize(
    ("event", "left"),
    [
        ({"type": "app_uninstalled"}, True),
        ({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, True),
        ({"type": "tokens_revoked", "tokens": {"oauth": ["UALICE"]}}, False),
    ],
)
async def test_the_workspace_counts_as_left_only_when_the_app_lost_its_bot(
    rig: Rig, event: dict, left: bool
) -> None:
    await ready(rig, ALICE)
    cid = await community_id(rig.app)
    status, _ = await rig.send.event(event)
    assert status == 200
    await listeners_done()

    async def absent() -> bool:
        async with rig.app.db.uow() as tx:
            community = await tx.communities.get(cid)
        assert community is not None
        return community.settings.absent

    # Recorded before Slack gets its answer (a middleware in front of the listeners).
    assert await absent() is left


async def test_a_reply_whose_files_slack_will_not_take_now_says_so_privately(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """``/mock export``: the answer is shown; the file upload is rate limited for long, so the
    member is told to ask again (no incident)."""
    await ready(rig, ALICE)
    rig.fake.fail_next("files.getUploadURLExternal", retry_after=30)
    with caplog.at_level(logging.INFO):
        status, _, key = await rig.send.command(ALICE, "export")
        assert status == 200
        await rig.fake.wait_for(lambda: len(responses(rig.fake, key)) == 2)
        await listeners_done()
    answer, told = responses(rig.fake, key)
    assert "Your PeerLoop data" in blob(answer)
    assert told["response_type"] == "ephemeral" and "Run the command again" in blob(told)
    assert not incidents(caplog)
