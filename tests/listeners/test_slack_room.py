"""The session room on Slack: the admin's call setting, each session's own links in the pair's
group DM, ``/mock upcoming`` and the App Home, and nothing of them for a third member."""

from __future__ import annotations

from dataclasses import replace

from bot.core.clock import FakeClock
from bot.core.models import ActionKind, ActionStatus, Platform, SessionState
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    community_id,
    reply_text,
    rig,
    with_profile,
)

__all__ = ["rig"]


async def home_of(rig: Rig, user: str) -> str:
    before = rig.fake.count("views.publish")
    status, _ = await rig.send.event(
        {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}
    )
    assert status == 200
    await rig.fake.wait_for(lambda: rig.fake.count("views.publish") == before + 1)
    published = rig.fake.of("views.publish")[-1]
    assert published["user_id"] == user
    return blob(published)


async def test_each_session_has_its_own_links_shown_only_to_the_pair(rig: Rig) -> None:
    fake = rig.fake
    fake.admins.add(ALICE)
    refused = await reply_text(rig, BOB, "admin setup call_link:https://zoom.us/j/1")
    assert ":x:" in blob(refused)
    saved = await reply_text(rig, ALICE, "admin setup call_link:https://meet.example.org/pl-{room}")
    assert "call_link" in blob(saved)
    for user in (ALICE, BOB, CAROL):
        await with_profile(rig, user)
    for user in (ALICE, BOB):
        await reply_text(rig, user, "schedule type:coding")
    outcome = await rig.app.matching.run_round(await community_id(rig.app))
    assert len(outcome.sessions) == 1
    await rig.app.tick()
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(outcome.sessions[0].id)
        community = await tx.communities.find(Platform.SLACK, "T1")
    assert session is not None and community is not None
    call = session.call_url
    assert call and call.startswith("https://meet.example.org/pl-") and "{room}" not in call
    assert session.work_url is None  # coding without an editor set: "use any shared editor"

    posts = [a for a in fake.of("chat.postMessage") if str(a["channel"]).startswith("G")]
    assert posts and call in blob(posts[0]) and "any shared editor" in blob(posts[0])
    assert call in blob(await reply_text(rig, BOB, "upcoming"))
    assert call in await home_of(rig, ALICE)

    # Carol is in no session: her replies and her App Home say nothing of the pair's room.
    assert call not in blob(await reply_text(rig, CAROL, "upcoming"))
    assert call not in await home_of(rig, CAROL)
    assert not [a for a in fake.of("chat.postMessage") if a["channel"] == CAROL and call in blob(a)]


async def test_block_is_confidential_and_who_names_nobody(rig: Rig) -> None:
    fake = rig.fake
    for user in (ALICE, BOB):
        await with_profile(rig, user)
    # Slack hands a mention as <@U…|name>: the face turns it into the member's id.
    done = await reply_text(rig, ALICE, f"block <@{BOB}|bob>")
    assert "you will not be paired with" in blob(done)
    for user in (ALICE, BOB):
        answer = await reply_text(rig, user, "schedule type:coding")
        assert "Expected wait" in blob(answer)
    assert not (await rig.app.matching.run_round(await community_id(rig.app))).sessions
    await rig.app.tick()
    assert not [a for a in fake.of("conversations.open") if "," in str(a.get("users"))]
    to_bob = [blob(a) for a in fake.of("chat.postMessage") if a["channel"] in (BOB, f"D{BOB}")]
    to_bob += [blob(await reply_text(rig, BOB, "blocked")), await home_of(rig, BOB)]
    for text in to_bob:
        assert ALICE not in text and "asked not" not in text, text
    who = blob(await reply_text(rig, CAROL, "who"))
    assert "Coding: 2 members" in who and ALICE not in who and BOB not in who
    assert "Never paired with" in blob(await reply_text(rig, ALICE, "blocked"))


async def test_voice_channels_and_events_are_discord_only_and_sessions_go_on(rig: Rig) -> None:
    fake = rig.fake
    fake.admins.add(ALICE)
    for option in ("voice_category:C0CATEGORY", "session_events:yes", "voice_open:5"):
        refused = blob(await reply_text(rig, ALICE, f"admin setup {option}"))
        assert "Nothing was changed" in refused and "Discord feature" in refused, refused
    async with rig.app.db.uow() as tx:
        community = await tx.communities.find(Platform.SLACK, "T1")
        assert community is not None
        assert community.settings.voice_category_id is None
        assert not community.settings.session_events
        # Even with the settings stored (an earlier version, an edited row), Slack's port
        # answers "not available" and the session goes on with its links.
        await tx.communities.save_settings(
            community.id,
            replace(community.settings, voice_category_id="C0CATEGORY", session_events=True),
        )
    for user in (ALICE, BOB):
        await with_profile(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    outcome = await rig.app.matching.run_round(await community_id(rig.app))
    (booked,) = outcome.sessions
    await rig.app.tick()
    clock = rig.app.clock
    assert isinstance(clock, FakeClock)
    clock.set(booked.start)
    await rig.app.tick()
    async with rig.app.db.uow() as tx:
        session = await tx.sessions.get(booked.id)
        steps = await tx.actions.for_session(booked.id)
    assert session is not None and session.state is SessionState.IN_PROGRESS
    assert session.voice_ref is None and session.event_ref is None
    room = {s.kind: s for s in steps if s.kind in ROOM_KINDS}
    assert room[ActionKind.VOICE_OPEN].status is ActionStatus.SKIPPED
    assert room[ActionKind.SESSION_EVENT].status is ActionStatus.SKIPPED
    started = [
        a
        for a in fake.of("chat.postMessage")
        if str(a["channel"]).startswith("G") and "interviewer guide" in blob(a)
    ]
    assert started and session.call_url and session.call_url in blob(started[0])
    assert "Voice channel" not in blob(started[0])


ROOM_KINDS = (ActionKind.VOICE_OPEN, ActionKind.VOICE_CLOSE, ActionKind.SESSION_EVENT)
