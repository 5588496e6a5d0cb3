"""Weekly digests end to end: stored steps, local delivery times, opt-out, nudges, the admins' channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.digest import DigestData, IsoWeek, PersonalDigest
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import Tone
from bot.core.models import ActionKind, ActionStatus, Platform, SessionState
from bot.core.progress import CALIBRATED_NOTE, RAW_NOTE
from bot.core.services.actor import Actor, new_id
from bot.core.vocab import InterviewType, Level
from tests.conftest import make_actor
from tests.core.test_matching_rules import rate
from tests.fakes.fake_chat import FakeChat
from tests.feedback_helpers import finished_session

#: Wednesday 4 March 2026: New York changes its clocks on Sunday 8 March, Berlin on 29 March.
WED = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
WEEK11 = IsoWeek(2026, 11)  # Monday 9 March


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[tuple[App, FakeClock, FakeChat]]:
    clock = FakeClock(WED)
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        yield app, clock, chat
    finally:
        await app.close()


async def member(app: App, name: str, tz: str) -> Actor:
    actor = await make_actor(app, name)
    await app.profiles.set_profile(
        actor,
        timezone=tz,
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    return await make_actor(app, name)


async def digest_actions(app: App) -> list[tuple[str, datetime, str]]:
    async with app.db.uow() as tx:
        rows = await tx.actions.by_kind(ActionKind.DIGEST)
    return sorted(
        (str(a.payload["scope"]), a.due_at, a.key) for a in rows if a.status is ActionStatus.PENDING
    )


async def test_each_member_gets_the_digest_at_nine_on_monday_in_their_own_zone(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    zones = {
        "ny": "America/New_York",
        "berlin": "Europe/Berlin",
        "kolkata": "Asia/Kolkata",
        "auckland": "Pacific/Auckland",
    }
    actors = {name: await member(app, name, tz) for name, tz in zones.items()}
    assert app.digests is not None
    assert await app.digests.ensure_planned(actors["ny"].community) > 0
    assert (
        await app.digests.ensure_planned(actors["ny"].community) == 0
    )  # planning twice stores nothing new
    expected = {
        "auckland": datetime(
            2026, 3, 8, 20, 0, tzinfo=UTC
        ),  # Monday 09:00 NZDT is Sunday evening UTC
        "kolkata": datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
        "berlin": datetime(2026, 3, 9, 8, 0, tzinfo=UTC),  # Berlin still on winter time
        "ny": datetime(2026, 3, 9, 13, 0, tzinfo=UTC),  # New York already on summer time
    }
    planned = {
        due
        for scope, due, key in await digest_actions(app)
        if scope == "members" and WEEK11.label in key
    }
    assert planned == set(expected.values())
    for name, due in sorted(expected.items(), key=lambda kv: kv[1]):
        clock.set(due - timedelta(minutes=1))
        await app.tick()
        assert chat.dms_to(name) == [], f"{name} got the digest early"
        clock.set(due)
        await app.tick()
        assert len(chat.dms_to(name)) == 1, name
        assert chat.dms_to(name)[0].title == "Your PeerLoop week"
    # Everyone got exactly one, and the next week is planned (the schedule carries on).
    assert sorted(who for who, _ in chat.direct) == sorted(zones)
    week12 = {
        due
        for scope, due, key in await digest_actions(app)
        if "2026-W12" in key and scope == "members"
    }
    assert datetime(2026, 3, 16, 13, 0, tzinfo=UTC) in week12


async def test_a_step_run_twice_and_a_restart_send_nothing_twice(
    world: tuple[App, FakeClock, FakeChat],
    database_url: str,
) -> None:
    app, clock, chat = world
    ann = await member(app, "ann", "Europe/Berlin")
    assert app.digests is not None
    await app.digests.ensure_planned(ann.community)
    due = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    async with app.db.uow() as tx:
        action = next(a for a in await tx.actions.by_kind(ActionKind.DIGEST) if a.due_at == due)
    clock.set(due)
    for _ in range(2):  # e.g. a retry after a crash between queueing and marking done
        async with app.db.uow() as tx:
            status, _note = await app.digests.run_step(tx, action, due)
        assert status is ActionStatus.DONE
    # A restart: a new app on the same database finds the stored step and runs it once.
    await app.close()
    again = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        assert await again.next_due() == due
        await again.tick()
        await again.tick()
        assert len(chat.dms_to("ann")) == 1
        async with again.db.uow() as tx:
            done = await tx.actions.get(action.id)
            outbox = [i for i in await tx.outbox.all() if i.key.startswith("digest:")]
        assert done is not None and done.status is ActionStatus.DONE
        assert [i.key for i in outbox] == [f"digest:{ann.member.id}:{WEEK11.label}"]
    finally:
        await again.close()


async def test_opt_out_and_nudge_or_nothing(world: tuple[App, FakeClock, FakeChat]) -> None:
    app, clock, chat = world
    nudged = await member(app, "nudged", "Europe/Berlin")
    quiet = await member(app, "quiet", "Europe/Berlin")
    off = await member(app, "off", "Europe/Berlin")
    busy = await member(app, "busy", "Europe/Berlin")
    assert (await app.router.run_text(quiet, "/mock digest quiet")).tone is Tone.SUCCESS
    assert (await app.router.run_text(off, "/mock digest off")).tone is Tone.SUCCESS
    assert (await app.router.run_text(busy, "/mock digest quiet")).tone is Tone.SUCCESS
    refused = await app.router.run_text(quiet, "/mock digest sometimes")
    assert refused.tone is Tone.ERROR and "off" in refused.text and "quiet" in refused.text
    async with app.db.uow() as tx:
        stored = await tx.members.get(quiet.member.id)
    assert stored is not None and stored.digest_nudge is False and stored.digest_opt_out is False
    # busy had a session this week: a real digest, even though quiet weeks send nothing.
    await finished_session(app, busy, nudged, start=datetime(2026, 3, 5, 17, 0, tzinfo=UTC))
    assert app.digests is not None
    await app.digests.ensure_planned(nudged.community)
    clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    await app.tick()
    assert chat.dms_to("quiet") == [] and chat.dms_to("off") == []
    busy_dm = chat.dms_to("busy")
    assert len(busy_dm) == 1 and any(
        f.name == "Sessions done this week (1)" for f in busy_dm[0].fields
    )
    # nudged also had that session, so it is not a quiet week for them either.
    assert len(chat.dms_to("nudged")) == 1
    # Next week is quiet for everyone: only the member who chose nudges gets one.
    chat.direct.clear()
    await app.router.run_text(off, "/mock digest on")
    clock.set(datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    await app.tick()
    assert sorted(who for who, _ in chat.direct) == [
        "nudged",
        "off",
    ]  # "on" keeps the nudge default
    assert "quiet week" in chat.dms_to("nudged")[0].text


async def _revealed_feedback(
    app: App,
    session_id: str,
    author: Actor,
    subject: Actor,
    when: datetime,
    scores: dict[str, int],
    *,
    part: int = 1,
) -> None:
    async with app.db.uow() as tx:
        await tx.feedback.save(
            Feedback(
                id=new_id(),
                session_id=session_id,
                part=part,
                author_id=author.member.id,
                subject_id=subject.member.id,
                role=FeedbackRole.INTERVIEWER,
                scores=scores,
                submitted_at=when,
                updated_at=when,
                verdict="lean-yes",
                strengths="Clear plan and steady pace.",
                improvements="Test edge cases first.",
                revealed_at=when + timedelta(hours=1),
            )
        )


async def test_personal_digest_content_through_the_real_paths(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    ann = await member(app, "ann", "Europe/Berlin")
    ben = await member(app, "ben", "America/New_York")
    dims = [d.id for d in app.prompts.rubric_for_type("coding").dimensions]
    earlier = await finished_session(app, ben, ann, start=datetime(2026, 2, 20, 17, 0, tzinfo=UTC))
    await _revealed_feedback(
        app, earlier.id, ben, ann, datetime(2026, 2, 20, 19, 0, tzinfo=UTC), {d: 3 for d in dims}
    )
    this_week = await finished_session(app, ben, ann, start=datetime(2026, 3, 6, 17, 0, tzinfo=UTC))
    low = {d: (1 if d == dims[0] else 3) for d in dims}
    await _revealed_feedback(
        app, this_week.id, ben, ann, datetime(2026, 3, 6, 19, 0, tzinfo=UTC), low
    )
    await finished_session(
        app, ann, ben, start=datetime(2026, 3, 10, 17, 0, tzinfo=UTC), state=SessionState.CONFIRMED
    )
    assert app.digests is not None
    await app.digests.ensure_planned(ann.community)
    clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    await app.tick()
    (dm,) = chat.dms_to("ann")
    fields = {f.name.split(" (")[0]: f.value for f in dm.fields}
    assert "Sessions done this week" in fields and "with Ben" in fields["Sessions done this week"]
    first_dim = app.prompts.rubric_for_type("coding").dimensions[0].name
    assert f"{first_dim}: 3.0 → 1.0 (-2.0)" in fields["Score changes"]
    # Raw here, calibrated in /mock progress: each place says which it shows.
    assert fields["Score changes"].endswith(RAW_NOTE)
    assert CALIBRATED_NOTE in (await app.router.run(ann, "progress", {})).text
    assert fields["Suggested focus"].startswith(first_dim)
    assert "Feedback you still owe" in fields  # ann wrote no feedback for this week's session
    assert "Coming up" in fields
    assert dm.text.startswith("Streak: 1 week")
    # Ben is in New York: his comes later, and the scores about Ann are not in it.
    assert chat.dms_to("ben") == []
    clock.set(datetime(2026, 3, 9, 13, 0, tzinfo=UTC))
    await app.tick()
    (ben_dm,) = chat.dms_to("ben")
    assert "Score changes" not in {f.name for f in ben_dm.fields}
    # /mock digest shows the setting and the last seven days.
    preview = await app.router.run_text(ann, "/mock digest")
    assert preview.tone is not Tone.ERROR
    assert any(f.name == "Setting" for f in preview.fields)


async def test_community_digest_goes_to_the_admins_channel_or_is_skipped_with_a_reason(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    ann = await member(app, "ann", "Europe/Berlin")
    ben = await member(app, "ben", "Europe/Berlin")
    held = await finished_session(app, ann, ben, start=datetime(2026, 3, 5, 17, 0, tzinfo=UTC))
    await finished_session(
        app, ben, ann, start=datetime(2026, 3, 6, 17, 0, tzinfo=UTC), state=SessionState.NO_SHOW
    )
    await _revealed_feedback(
        app, held.id, ann, ben, datetime(2026, 3, 5, 19, 0, tzinfo=UTC), {"x": 3}
    )
    assert app.digests is not None
    await app.digests.ensure_planned(ann.community)
    # Week 11 without an admins' channel: skipped, with the reason stored on the step.
    clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    await app.tick()
    assert chat.posts == []
    async with app.db.uow() as tx:
        steps = [
            a
            for a in await tx.actions.by_kind(ActionKind.DIGEST)
            if a.payload.get("scope") == "community"
        ]
    skipped = [a for a in steps if a.status is ActionStatus.SKIPPED]
    assert len(skipped) == 1 and "no admins' channel" in (skipped[0].last_error or "")
    # With a channel, week 12's digest is posted there with the week's figures.
    async with app.db.uow() as tx:
        community = await tx.communities.get(ann.community.id)
        assert community is not None
        await tx.communities.save_settings(
            community.id, replace(community.settings, admin_channel_id="admins")
        )
    week = await app.digests.compute_week(ann.community.id, IsoWeek(2026, 11))
    assert (week.community.held, week.community.no_shows) == (1, 1)
    assert week.community.top_interviewers == ()  # nobody has three ratings yet
    assert week.slots == 1 and len(week.personal) == 2
    await finished_session(app, ann, ben, start=datetime(2026, 3, 12, 17, 0, tzinfo=UTC))
    for day in (1, 2, 3):  # Ann's reputation: three revealed ratings, long ago
        await rate(app, ann, ben, (4, 4, 3), at=datetime(2025, 6, day, 17, 0, tzinfo=UTC))
    clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    await app.tick()
    ((space, post),) = chat.posts
    assert space == "admins"
    assert post.title == "PeerLoop community week 2026-W12"
    text = " ".join(f"{f.name} {f.value}" for f in post.fields)
    assert "1 session held" in text and "Top interviewers" in text
    assert "- Ann: 3.7/4 from 3 ratings, 1 interview this week" in text, text


async def test_members_without_a_zone_get_it_at_the_hour_in_utc_and_a_day_late_step_is_skipped(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    app, clock, chat = world
    nozone = await make_actor(app, "nozone")
    assert nozone.member.timezone is None
    assert app.digests is not None
    await app.digests.ensure_planned(nozone.community)
    steps = await digest_actions(app)
    utc_nine = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert ("members", utc_nine) in {(scope, due) for scope, due, _ in steps}
    clock.set(utc_nine)
    await app.tick()
    assert len(chat.dms_to("nozone")) == 1
    # The process was down for more than a day across next Monday: that step is skipped, not sent late.
    chat.direct.clear()
    clock.set(datetime(2026, 3, 17, 9, 30, tzinfo=UTC))
    await app.tick()
    assert chat.dms_to("nozone") == []
    async with app.db.uow() as tx:
        late = [
            a
            for a in await tx.actions.by_kind(ActionKind.DIGEST)
            if a.due_at == datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
            and a.payload.get("scope") == "members"
        ]
    assert [a.status for a in late] == [ActionStatus.SKIPPED]
    assert "too late" in (late[0].last_error or "")


async def test_scheduled_steps_send_what_the_whole_week_computation_builds(
    database_url: str,
) -> None:
    """On a synthetic community in sixteen zones, the stored steps (each reading only its own
    zones' feedback) send every member exactly the digest computed for the whole week at once."""
    from benchmarks.digest import NOW, WEEK, fill

    clock = FakeClock(NOW)
    chat = FakeChat()
    app = await build_app(database_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        owner = await make_actor(app, "owner")
        await fill(app, owner.community.id, 160, 1200, seed=3)
        assert app.digests is not None
        expected = dict(
            app.digests.messages(await app.digests.compute_week(owner.community.id, WEEK))
        )
        assert len(expected) > 50
        await app.digests.ensure_planned(owner.community)
        async with app.db.uow() as tx:
            members = {m.external_id: m.id for m in await tx.members.list(owner.community.id)}
        for due in sorted(
            {due for scope, due, key in await digest_actions(app) if WEEK.label in key}
        ):
            clock.set(due)
            await app.tick()
        got = {members[who]: msg for who, msg in chat.direct}
        assert len(chat.direct) == len(got)  # nobody twice
        assert set(got) == set(expected)
        for member_id, message in expected.items():
            assert (got[member_id].title, got[member_id].text, got[member_id].fields) == (
                message.title,
                message.text,
                message.fields,
            )
        assert any("Score changes" in {f.name for f in m.fields} for m in got.values())
    finally:
        await app.close()


async def test_a_partners_no_show_keeps_the_reporters_streak(
    world: tuple[App, FakeClock, FakeChat],
) -> None:
    from bot.core.models import NoShowReport

    app, _clock, _chat = world
    ann = await member(app, "ann", "Europe/Berlin")
    ben = await member(app, "ben", "Europe/Berlin")
    await finished_session(
        app, ann, ben, start=datetime(2026, 2, 26, 17, 0, tzinfo=UTC)
    )  # week 10's
    missed = await finished_session(
        app, ben, ann, start=datetime(2026, 3, 5, 17, 0, tzinfo=UTC), state=SessionState.NO_SHOW
    )  # week 11's: ben did not show
    async with app.db.uow() as tx:
        await tx.no_shows.add(
            NoShowReport(missed.id, ann.member.id, ben.member.id, missed.start), new_id()
        )
    assert app.digests is not None
    week = await app.digests.compute_week(ann.community.id, WEEK11)
    streaks = {d.member_id: d.streak for d in week.personal}
    assert streaks == {ann.member.id: 2, ben.member.id: 0}


async def test_a_step_builds_the_digests_off_the_event_loop(
    world: tuple[App, FakeClock, FakeChat],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Indexing the community's data and building each digest run on a thread, so thousands of
    members do not hold the loop (docs/scaling.md, "Event-loop lag")."""
    import threading

    import bot.core.services.digest as digest_module

    app, clock, chat = world
    ann = await member(app, "ann", "Europe/Berlin")
    assert app.digests is not None
    await app.digests.ensure_planned(ann.community)
    threads: dict[str, int] = {}
    index, build = DigestData.index.__func__, digest_module.personal_digest  # type: ignore[attr-defined]

    def recorded_index(cls: type[DigestData], *args: Any) -> DigestData:
        threads["index"] = threading.get_ident()
        return index(cls, *args)  # type: ignore[no-any-return]

    def recorded_build(*args: Any) -> PersonalDigest:
        threads["personal_digest"] = threading.get_ident()
        return build(*args)

    monkeypatch.setattr(DigestData, "index", classmethod(recorded_index))
    monkeypatch.setattr(digest_module, "personal_digest", recorded_build)
    clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    await app.tick()
    assert len(chat.dms_to("ann")) == 1
    assert set(threads) == {"index", "personal_digest"}
    assert threading.get_ident() not in threads.values()
