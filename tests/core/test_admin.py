"""Community administration through the core service (the server-side check behind every face)."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.errors import InvalidInput, PermissionDenied
from bot.core.messages import Tone, ts
from bot.core.models import Platform
from bot.core.surface.values import parse_reminders
from tests.conftest import ready_member


async def test_only_admins_pause_and_a_paused_community_takes_no_requests(app: App) -> None:
    assert app.admin is not None
    member = await ready_member(app, "alice")
    member_without_right = type(member)(member.community, member.member, platform_admin=False)
    with pytest.raises(PermissionDenied):
        await app.admin.set_paused(member_without_right, True)
    admin = await app.actors.resolve(
        Platform.CONSOLE, "local", "Local", "alice", "Alice", platform_admin=True
    )
    await app.admin.set_paused(admin, True)
    paused_actor = await ready_member(app, "alice")
    reply = await app.router.run(paused_actor, "schedule", {"type": "coding"})
    assert reply.tone is Tone.ERROR and "paused" in reply.text
    await app.admin.set_paused(admin, False)
    running_actor = await ready_member(app, "alice")
    assert (
        await app.router.run(running_actor, "schedule", {"type": "coding"})
    ).tone is Tone.SUCCESS


async def test_direct_message_resolution_finds_the_member_in_each_known_community(app: App) -> None:
    await app.actors.resolve(Platform.DISCORD, "guild-1", "One", "u42", "Sam")
    await app.actors.resolve(Platform.DISCORD, "guild-2", "Two", "u42", "Sam")
    await app.actors.resolve(Platform.SLACK, "T1", "Team", "u42", "Sam")
    found = await app.actors.resolve_direct(Platform.DISCORD, "u42")
    assert sorted(a.community.external_id for a in found) == ["guild-1", "guild-2"]
    assert await app.actors.resolve_direct(Platform.DISCORD, "nobody") == []


# -- the admin command set (AdminRouter) ---------------------------------------------------------

import re  # noqa: E402
from datetime import timedelta  # noqa: E402

from sqlalchemy import event  # noqa: E402

from bot.core.admin_commands import AdminRouter  # noqa: E402
from bot.core.clock import FakeClock  # noqa: E402
from bot.core.models import ActionKind, ActionStatus, CommunitySettings  # noqa: E402
from bot.core.services.actor import Actor  # noqa: E402
from tests.conftest import make_actor  # noqa: E402
from tests.core.test_sessions import advance, book_pair  # noqa: E402


def admin_router(app: App) -> AdminRouter:
    assert app.admin_commands is not None
    return app.admin_commands


async def settings_of(app: App, actor: Actor) -> CommunitySettings:
    async with app.db.uow() as tx:
        community = await tx.communities.get(actor.community.id)
    assert community is not None
    return community.settings


async def test_every_admin_command_and_action_refuses_members_without_the_right(app: App) -> None:
    admins = admin_router(app)
    member = await ready_member(app, "bob")
    before = await settings_of(app, member)
    for name, options in (
        ("setup", {"digest_hour": "7"}),
        ("setup", {}),
        ("stats", {}),
        ("member", {"who": "bob"}),
        ("pause", {}),
        ("resume", {}),
        ("status", {}),
    ):
        reply = await admins.run(member, name, options)
        assert reply.tone is Tone.ERROR and "Only community admins" in reply.text, name
    text_reply = await app.router.run_text(member, "/mock admin setup digest_hour:7")
    assert text_reply.tone is Tone.ERROR and "Only community admins" in text_reply.text
    action = await app.router.act(member, f"pl:admin.clear_noshow:{member.member.id}")
    assert action.tone is Tone.ERROR and "Only community admins" in action.text
    assert await settings_of(app, member) == before


async def test_setup_shows_validates_everything_and_writes_all_or_nothing(app: App) -> None:
    admins = admin_router(app)
    admin = await make_actor(app, "ada", admin=True)
    view = await admins.run(admin, "setup", {})
    assert view.title == "PeerLoop settings"
    assert any(f.value == "60 min" for f in view.fields)

    before = await settings_of(app, admin)
    bad = await admins.run(
        admin,
        "setup",
        {
            "digest_day": "fri",
            "digest_hour": "25",
            "session_minutes": "50",
            "match_every": "2",
            "reminders": "1h, soon",
        },
    )
    assert bad.tone is Tone.ERROR and bad.text.startswith("Nothing was changed.")
    # the declared ranges and choices are refused together, before the service runs
    for accepted in ("0 to 23", "30, 45, 60, 90", "5 to 1440"):
        assert accepted in bad.text
    bad_reminders = await admins.run(admin, "setup", {"digest_day": "fri", "reminders": "1h, soon"})
    assert bad_reminders.tone is Tone.ERROR and bad_reminders.text.startswith(
        "Nothing was changed."
    )
    assert "“soon”" in bad_reminders.text
    assert await settings_of(app, admin) == before
    unknown = await admins.run(admin, "setup", {"colour": "blue"})
    assert unknown.tone is Tone.ERROR and "pair_channel" in unknown.text

    # Platform syntax stays in the faces: the core takes a channel's id, not Slack's <#C…|name>.
    slack_syntax = await admins.run(admin, "setup", {"pair_channel": "<#C0PAIRS|mock-pairs>"})
    assert slack_syntax.tone is Tone.ERROR and "is not a channel" in slack_syntax.text
    ok = await admins.run(
        admin,
        "setup",
        {
            "pair_channel": "#C0PAIRS",
            "admin_channel": "1234567890",
            "digest_day": "friday",
            "digest_hour": "18",
            "session_minutes": "45",
            "reminders": "1d, 30m",
            "disabled_types": "ml fundamentals, sql",
            "prefer_seen_prompts": "no",
            "admins_see_feedback": "no",
        },
    )
    assert ok.tone is Tone.SUCCESS, ok.text
    after = await settings_of(app, admin)
    assert (after.pair_channel_id, after.admin_channel_id) == ("C0PAIRS", "1234567890")
    assert (after.digest_weekday, after.digest_hour, after.session_minutes) == (4, 18, 45)
    assert after.reminder_minutes == (1440, 30)
    assert after.disabled_types == ("ml-fundamentals", "sql-data-modelling")
    assert (
        not after.prefer_prompt_interviewer_has_seen and not after.admins_see_feedback
    )  # on by default
    assert "admins_see_feedback" not in ok.text  # unchanged settings are not reported as changed
    cleared = await admins.run(
        admin, "setup", {"pair_channel": "none", "reminders": "none", "disabled_types": "none"}
    )
    assert cleared.tone is Tone.SUCCESS
    final = await settings_of(app, admin)
    assert (final.pair_channel_id, final.reminder_minutes, final.disabled_types) == (None, (), ())


async def test_a_new_cadence_replans_the_pending_matching_round(app: App, clock: FakeClock) -> None:
    admin = await make_actor(app, "ada", admin=True)
    await app.matching.ensure_round_scheduled(admin.community)
    reply = await admin_router(app).run(admin, "setup", {"match_every": "60"})
    assert reply.tone is Tone.SUCCESS and "re-planned" in reply.text
    async with app.db.uow() as tx:
        rounds = await tx.actions.by_kind(ActionKind.MATCH_ROUND)
    assert [(r.status, r.due_at) for r in rounds] == [
        (ActionStatus.PENDING, clock.now() + timedelta(hours=1))
    ]
    # back to 15 minutes: the hour-mark round gives way to the next quarter (no key left behind)
    clock.advance(timedelta(minutes=5))
    assert (await admin_router(app).run(admin, "setup", {"match_every": "15"})).tone is Tone.SUCCESS
    async with app.db.uow() as tx:
        rounds = await tx.actions.by_kind(ActionKind.MATCH_ROUND)
    assert [(r.status, r.due_at) for r in rounds] == [
        (ActionStatus.PENDING, clock.now() + timedelta(minutes=10))
    ]
    unchanged = await admin_router(app).run(admin, "setup", {"match_every": "15"})
    assert "already" in unchanged.text


async def test_member_report_explains_rounds_and_an_admin_clears_no_show_marks(
    chat_app: App, clock: FakeClock
) -> None:
    app = chat_app
    session = await book_pair(app)
    await advance(app, clock, session.start + timedelta(minutes=11))
    reporter = await make_actor(app, "alice")
    assert (await app.router.act(reporter, f"pl:session.noshow:{session.id}")).tone is Tone.SUCCESS
    absent_id = session.partner_of(reporter.member.id)
    admin = await make_actor(app, "ada", admin=True)
    admins = admin_router(app)

    report = await app.router.run_text(admin, "admin member bob")
    assert report.title == "Bob"
    fields = {f.name: f.value for f in report.fields}
    assert fields["Reliability"] == "50%"
    assert (
        f"paired with Alice for {ts(session.start, 'f')}" in fields["Recent rounds (newest first)"]
    )
    # The mark names the session by its time and the partner who waited, not by an id.
    assert fields["Active no-show marks"] == f"{ts(session.start, 'f')} with Alice"
    assert session.id[:8] not in str(report)
    assert [b.label for b in report.buttons] == ["Clear no-show marks"]
    action = report.buttons[0].action
    assert action == f"pl:admin.clear_noshow:{absent_id}"

    bob = await make_actor(app, "bob")
    refused = await app.router.act(bob, action)
    assert refused.tone is Tone.ERROR
    async with app.db.uow() as tx:
        assert len(await tx.no_shows.for_members([absent_id])) == 1

    cleared = await app.router.act(admin, action)
    assert cleared.tone is Tone.SUCCESS and "Cleared 1" in cleared.text
    again = await admins.run(admin, "member", {"who": "bob"})
    assert {f.name: f.value for f in again.fields}["Reliability"] == "100%" and not again.buttons
    missing = await admins.run(admin, "member", {"who": "U404"})
    assert missing.tone is Tone.ERROR and "has not used PeerLoop" in missing.text


async def test_member_report_tells_why_a_member_was_left_out(app: App) -> None:
    carol = await ready_member(app, "carol", types="behavioral")
    assert (await app.router.run(carol, "schedule", {"type": "behavioral"})).tone is Tone.SUCCESS
    await app.matching.run_round(carol.community.id)
    admin = await make_actor(app, "ada", admin=True)
    report = await admin_router(app).run(admin, "member", {"who": "@Carol"})
    assert report.text.startswith(
        "Last round: No one else asked for a behavioral session this round."
    )
    fields = {f.name: f.value for f in report.fields}
    assert "left out 1×" in fields["Open requests"]
    assert "No one else asked for a behavioral session" in fields["Recent rounds (newest first)"]


async def test_member_report_speaks_about_the_member_not_to_the_admin(
    app: App, clock: FakeClock
) -> None:
    """Carol has two requests in one round: one is paired, the other is left out with a
    reason written to her ("You are already paired…"); the admin reads it about Carol."""
    carol = await ready_member(
        app, "carol", types="coding, behavioral", availability="daily 18:00-20:00"
    )
    dan = await ready_member(
        app, "dan", types="coding, behavioral", availability="daily 18:00-20:00"
    )
    for actor, kind in (
        (carol, "coding"),
        (dan, "coding"),
        (carol, "behavioral"),
        (dan, "behavioral"),
    ):
        assert (await app.router.run(actor, "schedule", {"type": kind})).tone is Tone.SUCCESS
        clock.advance(timedelta(minutes=1))  # each member's older request is tried first
    outcome = await app.matching.run_round(carol.community.id)
    assert len(outcome.sessions) == 1
    told = {text for member_id, text in outcome.left_out if member_id == carol.member.id}
    assert any(text.startswith("You are already paired") for text in told), told
    admin = await make_actor(app, "ada", admin=True)
    report = await admin_router(app).run(admin, "member", {"who": "Carol"})
    shown = report.text + "\n" + "\n".join(f.value for f in report.fields)
    assert "Carol is already paired this round for their" in shown
    assert "paired with Dan for " in shown
    assert not re.search(r"\byou(r)?\b", shown, re.IGNORECASE), shown


def test_every_left_out_reason_reads_about_the_member() -> None:
    """Each reason a round gives a member, rewritten for an admin, names the member and keeps
    no "you" (a new reason text is covered as soon as it exists)."""
    from typing import get_args

    from bot.core.admin_commands import about_member
    from bot.matching.explain import unmatched_text
    from bot.matching.model import UnmatchedCode
    from tests.matching.helpers import req

    request = req("r1", "carol", interview_type="behavioral", role="candidate")
    for code in get_args(UnmatchedCode):
        text = unmatched_text(code, request, other_type="coding")
        about = about_member(text, "Carol")
        assert not re.search(r"\byou(r)?\b", about, re.IGNORECASE), (code, about)
        if re.search(r"\byou(r)?\b", text, re.IGNORECASE):
            assert "Carol" in about, (code, about)
    assert about_member("You are already paired this round for your coding request.", "Carol") == (
        "Carol is already paired this round for their coding request."
    )
    assert about_member(
        "Everyone who shares your times asked for the same role as you (candidate).", "Carol"
    ) == ("Everyone who shares Carol's times asked for the same role as they did (candidate).")


async def test_stats_counts_with_a_fixed_number_of_queries(chat_app: App, clock: FakeClock) -> None:
    app = chat_app
    admin = await make_actor(app, "ada", admin=True)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def measured() -> tuple[int, object]:
        statements.clear()
        event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
        try:
            reply = await admin_router(app).run(admin, "stats", {})
        finally:
            event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")), reply

    empty_queries, _ = await measured()
    session = await book_pair(app)
    dave = await ready_member(app, "dave", types="behavioral")
    await app.router.run(dave, "schedule", {"type": "behavioral"})
    await advance(app, clock, session.start + timedelta(minutes=session.minutes + 5))
    busy_queries, reply = await measured()
    assert busy_queries == empty_queries <= 9  # the figures (at most 6) and the funnel picture's 3
    fields = {f.name: f.value for f in reply.fields}  # type: ignore[attr-defined]
    assert fields["Members"] == "3 with a profile of 4"
    assert fields["Open requests"] == "Behavioral: 1"
    week = fields["Last 7 days"]
    assert "Sessions booked: 1" in week and "Held: 1" in week
    assert "match rate: 100% (2 matched, 0 expired)" in week
    assert "Feedback from both: 0% (0 of 1 held)" in week
    (picture,) = reply.attachments  # type: ignore[attr-defined]
    assert picture.filename == "peerloop-community.png" and picture.data.startswith(b"\x89PNG")
    assert "- week to 1 Dec: 3 requested, 2 matched, 1 held" in picture.description


async def test_a_new_digest_day_and_hour_move_the_planned_digests(app: App) -> None:
    alice = await ready_member(app, "alice")  # Europe/Berlin: UTC+1 in December
    assert app.digests is not None
    await app.digests.ensure_planned(alice.community)
    admin = await make_actor(app, "ada", admin=True)

    async def planned() -> set[tuple[int, int]]:
        async with app.db.uow() as tx:
            steps = await tx.actions.by_kind(ActionKind.DIGEST)
        return {
            (s.due_at.weekday(), s.due_at.hour) for s in steps if s.status is ActionStatus.PENDING
        }

    assert await planned() == {
        (0, 8),
        (0, 9),
    }  # Monday 09:00 in Berlin, and 09:00 UTC for the admins
    reply = await admin_router(app).run(admin, "setup", {"digest_day": "fri", "digest_hour": "18"})
    assert reply.tone is Tone.SUCCESS
    assert await planned() == {(4, 17), (4, 18)}


async def test_setup_disabled_types_keeps_the_rule_packs_keep(app: App) -> None:
    """A type left with exactly one prompt cannot run a swap session: `setup disabled_types`
    refuses it with the same rule and words as `prompts disable`, and changes nothing."""
    from bot.core.packs import thin_message
    from tests.core.test_packs import coding_pack

    assert app.packs is not None
    admin = await make_actor(app, "ada", admin=True)
    assert (await app.packs.import_pack(admin, coding_pack(count=1, disable=()))).pack is not None
    before = await settings_of(app, admin)
    refused = await admin_router(app).run(
        admin, "setup", {"disabled_types": "coding", "digest_hour": "7"}
    )
    expected = thin_message(["Coding (1 left)"])
    assert (
        refused.tone is Tone.ERROR
        and refused.text == f"Nothing was changed. disabled_types: {expected}"
    )
    assert await settings_of(app, admin) == before
    also = await admin_router(app).run_text(admin, "prompts disable coding")
    assert also.tone is Tone.ERROR and also.text == expected
    # None left is fine: the type is then switched off.
    assert (
        await admin_router(app).run(admin, "setup", {"disabled_types": "behavioral"})
    ).tone is Tone.SUCCESS
    assert (await settings_of(app, admin)).disabled_types == ("behavioral",)


async def test_the_settings_service_takes_typed_values_and_keeps_its_rules(app: App) -> None:
    from bot.core.errors import InvalidInput
    from bot.core.services.admin import SettingsPatch
    from bot.core.vocab import InterviewType

    admin = await make_actor(app, "ada", admin=True)
    before = await settings_of(app, admin)
    # the service's own rules hold for a caller that skipped the surface
    with pytest.raises(InvalidInput) as refused:
        await app.admin.update_settings(admin, SettingsPatch(digest_hour=30, session_minutes=50))
    assert set(refused.value.fields) == {"digest_hour", "session_minutes"}
    assert "0-23" in refused.value.message and "30, 45, 60, 90" in refused.value.message
    assert await settings_of(app, admin) == before
    change = await app.admin.update_settings(
        admin,
        SettingsPatch(
            digest_day=2,
            reminders=(10, 60, 60),
            disabled_types=(InterviewType.SQL_DATA_MODELLING, InterviewType.SQL_DATA_MODELLING),
            pair_channel="C0PAIRS",
        ),
    )
    assert change.changed == ("pair_channel", "digest_day", "reminders", "disabled_types")
    assert change.after.reminder_minutes == (60, 10) and change.after.disabled_types == (
        "sql-data-modelling",
    )
    reset = await app.admin.update_settings(
        admin, SettingsPatch(reset=frozenset({"pair_channel", "reminders"}))
    )
    assert reset.changed == ("pair_channel", "reminders")
    assert (reset.after.pair_channel_id, reset.after.reminder_minutes) == (None, ())


@pytest.mark.parametrize(
    ("typed", "says"),
    [("²h", "is not a time"), ("٣0m", "is not a time"), ("9" * 5000, "out of range")],
)
def test_reminders_typed_in_other_digits_or_at_length_are_refused_plainly(
    typed: str, says: str
) -> None:
    """``str.isdigit`` takes ``²`` (which ``int`` refuses) and ``int`` refuses 5,000 digits:
    both are answered with what is accepted, never an unexpected error."""
    with pytest.raises(InvalidInput) as refused:
        parse_reminders(typed)
    assert says in refused.value.message and "minutes" in refused.value.message
