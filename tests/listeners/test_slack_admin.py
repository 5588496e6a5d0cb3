"""``/mock admin …`` through bolt and slack_sdk against the fake Slack Web API.

The face asks Slack (``users.info``, the admin user group) before calling the core, and
the core checks the admin right again; buttons of admin-only actions get the same checks.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.messages import Tone
from bot.core.models import CommunitySettings, Platform
from tests.core.test_sessions import advance
from tests.listeners.test_slack import (
    ALICE,
    BOB,
    CAROL,
    Rig,
    blob,
    community_id,
    ready,
    reply_text,
    responses,
    rig,
)

__all__ = ["rig"]


async def settings_of(rig: Rig) -> CommunitySettings:
    async with rig.app.db.uow() as tx:
        community = await tx.communities.get(await community_id(rig.app))
    assert community is not None
    return community.settings


async def test_non_admins_are_refused_and_nothing_changes(rig: Rig) -> None:
    await reply_text(rig, BOB, "help")
    before = await settings_of(rig)
    for text in (
        "admin setup digest_day:fri",
        "admin setup",
        "admin stats",
        "admin member <@UALICE|alice>",
        "admin pause",
        "admin status",
    ):
        answer = await reply_text(rig, BOB, text)
        assert ":x:" in blob(answer) and "Only workspace admins" in blob(answer), text
    assert await settings_of(rig) == before
    assert all(call["user"] == BOB for call in rig.fake.of("users.info"))


async def test_admin_setup_stats_and_status_go_through_the_core(rig: Rig) -> None:
    rig.fake.admins.add(ALICE)
    shown = await reply_text(rig, ALICE, "admin setup")
    assert "PeerLoop settings" in blob(shown) and "60 min" in blob(shown)

    bad = await reply_text(
        rig, ALICE, "admin setup digest_day:fri digest_hour:30 session_minutes:50"
    )
    assert (
        "Nothing was changed" in blob(bad)
        and "0 to 23" in blob(bad)
        and "30, 45, 60, 90" in blob(bad)
    )
    assert (await settings_of(rig)).digest_weekday == 0

    saved = await reply_text(
        rig,
        ALICE,
        "admin setup pair_channel:<#C0PAIRS|mock-pairs> digest_day:fri digest_hour:18 session_minutes:45 "
        'reminders:"1d, 15m" admins_see_feedback:yes',
    )
    assert "Settings saved" in blob(saved) and "channel `C0PAIRS`" in blob(saved)
    after = await settings_of(rig)
    assert (after.pair_channel_id, after.digest_weekday, after.digest_hour) == ("C0PAIRS", 4, 18)
    assert (after.session_minutes, after.reminder_minutes, after.admins_see_feedback) == (
        45,
        (1440, 15),
        True,
    )

    unknown = await reply_text(rig, ALICE, "admin shutdown")
    assert ":x:" in blob(unknown) and "setup" in blob(unknown) and "stats" in blob(unknown)
    assert "Last 30 days" in blob(await reply_text(rig, ALICE, "admin stats"))
    assert "paused" in blob(await reply_text(rig, ALICE, "admin pause"))
    assert "is paused" in blob(await reply_text(rig, ALICE, "admin status"))
    rig.fake.groups["SADMINS"] = [CAROL]  # the configured admin user group
    assert "running again" in blob(await reply_text(rig, CAROL, "admin resume"))


async def test_member_by_mention_and_clearing_no_show_marks_with_the_button(rig: Rig) -> None:
    app, fake = rig.app, rig.fake
    for user in (ALICE, BOB):
        await ready(rig, user)
        await reply_text(rig, user, "schedule type:coding")
    (session,) = (await app.matching.run_round(await community_id(app))).sessions
    assert isinstance(app.clock, FakeClock)
    await advance(app, app.clock, session.start + timedelta(minutes=11))
    reporter = await app.actors.resolve(Platform.SLACK, "T1", "", ALICE, "")
    assert (await app.router.act(reporter, f"pl:session.noshow:{session.id}")).tone is Tone.SUCCESS
    async with app.db.uow() as tx:
        bob = await tx.members.find(await community_id(app), BOB)
    assert bob is not None

    fake.admins.add(CAROL)
    report = await reply_text(rig, CAROL, "admin member <@UBOB|ubob>")
    assert (
        "Reliability" in blob(report) and "50%" in blob(report) and "paired with " in blob(report)
    )
    assert f" for <!date^{int(session.start.timestamp())}^" in blob(report)
    button = f"pl:admin.clear_noshow:{bob.id}"
    assert button in blob(report)

    status, _, key = await rig.send.click(ALICE, button, "C1")  # not an admin: refused
    assert status == 200
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    assert "Only community admins" in blob(responses(fake, key)[0])
    async with app.db.uow() as tx:
        assert len(await tx.no_shows.for_members([bob.id])) == 1

    status, _, key = await rig.send.click(CAROL, button, "C1")
    await fake.wait_for(lambda: len(responses(fake, key)) == 1)
    assert "Cleared 1 no-show mark" in blob(responses(fake, key)[0])
    async with app.db.uow() as tx:
        assert await tx.no_shows.for_members([bob.id]) == []
    again = await reply_text(rig, CAROL, "admin member <@UBOB>")
    assert "100%" in blob(again) and button not in blob(again)
    missing = await reply_text(rig, CAROL, "admin member <@UNOBODY|nobody>")
    assert "has not used PeerLoop" in blob(missing)
