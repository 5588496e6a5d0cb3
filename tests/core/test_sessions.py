"""Whole sessions with a fake clock and a recording chat: booking, steps, cancel, no-show, privacy."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.invites import CALENDAR
from bot.core.messages import OutboundMessage, Tone, ts
from bot.core.models import ActionKind, ActionStatus, Platform, RequestStatus, Session, SessionState
from tests.conftest import T0, make_actor, ready_member
from tests.fakes.fake_chat import FakeChat, rate_limited
from tests.feedback_helpers import fill, finished_session


@pytest.fixture
def app(chat_app: App) -> App:
    """These tests run on SQLite with a recording chat (``chat``)."""
    return chat_app


async def book_pair(app: App, *, role_b: str = "swap") -> Session:
    alice = await ready_member(app, "alice", level="senior", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", level="mid", availability="daily 18:00-20:00")
    assert (await app.router.run(alice, "schedule", {"type": "coding"})).tone is Tone.SUCCESS
    assert (
        await app.router.run(bob, "schedule", {"type": "coding", "role": role_b})
    ).tone is Tone.SUCCESS
    outcome = await app.matching.run_round(alice.community.id)
    assert len(outcome.sessions) == 1
    await app.tick()
    return outcome.sessions[0]


async def advance(app: App, clock: FakeClock, to: object) -> None:
    """Step the clock through every due step up to ``to``, as the scheduler would."""
    assert hasattr(to, "tzinfo")
    while (due := await app.next_due()) is not None and due <= to:  # type: ignore[operator]
        clock.set(max(due, clock.now()))
        await app.tick()
    clock.set(to)  # type: ignore[arg-type]
    await app.tick()


def is_guide(message: OutboundMessage) -> bool:
    return (message.title or "").startswith("Interviewer guide")


async def session_of(app: App, session_id: str) -> Session:
    async with app.db.uow() as tx:
        s = await tx.sessions.get(session_id)
    assert s is not None
    return s


async def test_booking_announces_with_invite_and_stores_every_step(
    app: App, chat: FakeChat
) -> None:
    session = await book_pair(app)
    assert session.swap and session.state is SessionState.PROPOSED
    assert session.start.astimezone().hour in range(24)
    announce = chat.posts[0][1]
    assert announce.title == "Mock interview booked: Coding"
    assert [b.label for b in announce.buttons] == ["Confirm", "Reschedule", "Can't make it"]
    ics = announce.attachments[0].data.decode()
    assert f"UID:session-{session.id}@peerloop" in ics and "SEQUENCE:0" in ics
    async with app.db.uow() as tx:
        kinds = sorted(a.kind.value for a in await tx.actions.for_session(session.id))
        requests = await tx.requests.for_member(session.interviewer_id)
    assert kinds == sorted(
        ["reminder", "reminder", "start", "swap", "noshow_check", "end"]
    )  # 24 h is past
    assert requests[0].status is RequestStatus.MATCHED


async def test_the_outbox_keeps_the_invite_as_a_reference_and_delivery_writes_it(
    app: App, chat: FakeChat
) -> None:
    """A round that books thousands of sessions stores a few hundred bytes per invite; the
    calendar file is written as the announcement is sent."""
    session = await book_pair(app)
    async with app.db.uow() as tx:
        item = await tx.outbox.by_key(f"{session.id}:announce")
    assert item is not None
    stored = item.message
    assert stored.get("attachments") == []
    [[kind, data]] = stored["pictures"]  # type: ignore[misc]
    assert kind == CALENDAR and len(data) < 1000 and "BEGIN:VCALENDAR" not in data
    announce = chat.posts[0][1]
    assert not announce.pictures
    [invite] = announce.attachments
    assert invite.mime == "text/calendar" and invite.description == "Calendar invite"
    assert invite.filename == f"peerloop-session-{session.id[:8]}.ics"
    event = icalendar.Calendar.from_ical(invite.data).walk("VEVENT")[0]
    assert str(event["UID"]) == f"session-{session.id}@peerloop"
    assert event.decoded("DTSTART") == session.start


async def test_full_swap_session_keeps_the_guide_from_the_candidate(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    session = await book_pair(app)
    first_interviewer = (
        await app.actors.resolve(Platform.CONSOLE, "local", "", "alice", "Alice")
    ).member
    await advance(app, clock, session.start + timedelta(minutes=session.minutes + 1))
    final = await session_of(app, session.id)
    assert final.state is SessionState.COMPLETED
    async with app.db.uow() as tx:
        members = await tx.members.get_many(session.member_ids)
    interviewer = members[session.interviewer_id].external_id
    candidate = members[session.candidate_id].external_id
    # Part 1: the guide goes to the first interviewer only; part 2 to the other.
    guides = [(who, m) for who, m in chat.direct if is_guide(m)]
    readers = [who for who, _ in guides]
    assert readers == sorted(readers, key=[interviewer, candidate].index) and set(readers) == {
        interviewer,
        candidate,
    }
    assert guides[0][1].title != guides[-1][1].title
    # Each guide arrives whole, in pages: every rubric dimension with all four anchors.
    rubric = app.prompts.rubric_for_type("coding")
    for reader in (interviewer, candidate):
        pages = [m for who, m in guides if who == reader]
        assert len(pages) > 1 and all(
            m.title and m.title.endswith(f"/{len(pages)})") for m in pages
        )
        text = "\n".join(f"{f.name}\n{f.value}" for m in pages for f in m.fields)
        for dim in rubric.dimensions:
            assert f"Rubric: {dim.name}" in text and all(
                dim.anchors[i] in text for i in (1, 2, 3, 4)
            )
        assert "Test cases" in text and "Approaches, naive to better" in text
    assert not any(is_guide(m) for _, m in chat.posts), (
        "guide text must never reach the shared space"
    )
    titles = chat.titles()
    assert any(t.startswith("Part 1:") for t in titles) and any(
        t.startswith("Part 2:") for t in titles
    )
    assert "Is everyone here?" in titles
    assert {who for who, m in chat.direct if m.title == "Feedback time"} == {interviewer, candidate}
    async with app.db.uow() as tx:
        statuses = {a.kind: a.status for a in await tx.actions.for_session(session.id)}
    assert (
        statuses[ActionKind.START] is ActionStatus.DONE
        and statuses[ActionKind.END] is ActionStatus.DONE
    )
    assert first_interviewer.id in session.member_ids


async def test_one_way_session_has_one_part(app: App, chat: FakeChat, clock: FakeClock) -> None:
    session = await book_pair(app, role_b="candidate")
    assert not session.swap
    await advance(app, clock, session.start + timedelta(minutes=61))
    titles = chat.titles()
    assert any(t.startswith("Session:") for t in titles) and not any(
        t.startswith("Part 2") for t in titles
    )
    guides = [(who, m) for who, m in chat.direct if is_guide(m)]
    assert len({who for who, _ in guides}) == 1  # one interviewer, one guide (in pages)
    assert (
        len([m for _, m in guides if (m.title or "").rstrip(")").endswith(f"1/{len(guides)}")]) == 1
    )


async def test_closed_dms_send_only_a_guide_button_to_the_space(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    session = await book_pair(app)
    async with app.db.uow() as tx:
        members = await tx.members.get_many(session.member_ids)
    interviewer = members[session.interviewer_id]
    candidate = members[session.candidate_id]
    chat.closed_dms.add(interviewer.external_id)
    await advance(app, clock, session.start + timedelta(minutes=1))
    fallback = [
        m
        for _, m in chat.posts
        if m.buttons
        and m.buttons[0].label == "Open interviewer guide"
        and "couldn't message you" in m.text
    ]
    assert len(fallback) == 1
    action = fallback[0].buttons[0].action
    cand_actor = await make_actor(app, candidate.external_id)
    refused = await app.router.act(cand_actor, action)
    assert refused.tone is Tone.ERROR and "Only this part's interviewer" in refused.text
    int_actor = await make_actor(app, interviewer.external_id)
    guide = await app.router.act(int_actor, action)
    assert is_guide(guide) and guide.ephemeral
    # The later pages were not posted anywhere; the first page links them.
    assert [b.label for b in guide.buttons] and all(
        b.label.startswith("Page ") for b in guide.buttons
    )
    page_two = await app.router.act(int_actor, guide.buttons[0].action)
    assert is_guide(page_two) and page_two.title != guide.title and page_two.ephemeral
    assert (await app.router.act(cand_actor, guide.buttons[0].action)).tone is Tone.ERROR
    assert not any(is_guide(m) for _, m in chat.posts)


async def test_cancel_before_start_tells_partner_and_reopens_with_priority(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    session = await book_pair(app)
    alice = await make_actor(app, "alice")
    stranger = await ready_member(app, "mallory")
    refused = await app.router.act(stranger, f"pl:session.cancel:{session.id}")
    assert refused.tone is Tone.ERROR and "not yours" in refused.text
    done = await app.router.act(alice, f"pl:session.cancel:{session.id}")
    assert done.tone is Tone.SUCCESS
    await app.tick()
    cancelled = await session_of(app, session.id)
    assert cancelled.state is SessionState.CANCELLED and cancelled.sequence == 1
    notice = chat.posts[-1][1]
    assert notice.title == "Session cancelled"
    ics = notice.attachments[0].data.decode()
    assert "METHOD:CANCEL" in ics and "SEQUENCE:1" in ics and "STATUS:CANCELLED" in ics
    partner_id = session.partner_of(alice.member.id)
    async with app.db.uow() as tx:
        reopened = await tx.requests.open_for_member(partner_id)
        mine = await tx.requests.open_for_member(alice.member.id)
        pending = [
            a for a in await tx.actions.for_session(session.id) if a.status is ActionStatus.PENDING
        ]
    assert len(reopened) == 1 and reopened[0].priority
    assert mine == [] and pending == []
    # Nothing more happens at the old start time.
    posts_before = len(chat.posts)
    await advance(app, clock, session.start + timedelta(hours=2))
    assert not any(t.startswith("Part") for t in chat.titles()[posts_before:])
    again = await app.router.act(alice, f"pl:session.cancel:{session.id}")
    assert again.tone is Tone.ERROR


async def test_no_show_report_lowers_priority_and_rematches_the_reporter(
    app: App, clock: FakeClock
) -> None:
    session = await book_pair(app)
    reporter = await make_actor(app, "alice")
    await advance(app, clock, session.start + timedelta(minutes=5))
    early = await app.router.act(reporter, f"pl:session.noshow:{session.id}")
    assert early.tone is Tone.ERROR and "ten minutes after the start" in early.text
    await advance(app, clock, session.start + timedelta(minutes=11))
    reply = await app.router.act(reporter, f"pl:session.noshow:{session.id}")
    assert reply.tone is Tone.SUCCESS
    assert (await session_of(app, session.id)).state is SessionState.NO_SHOW
    async with app.db.uow() as tx:
        reports = await tx.no_shows.for_members([session.partner_of(reporter.member.id)])
        reopened = await tx.requests.open_for_member(reporter.member.id)
    assert len(reports) == 1 and reopened[0].priority
    from bot.core.services.matching import reliability

    assert reliability([reports[0].reported_at], clock.now()) == pytest.approx(0.5)
    assert reliability([reports[0].reported_at], clock.now() + timedelta(days=21)) == pytest.approx(
        0.75
    )


async def test_late_start_after_downtime_skips_stale_reminders_but_never_the_start(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    session = await book_pair(app)
    clock.set(session.start + timedelta(minutes=session.minutes + 5))  # the process was down
    await app.tick()
    async with app.db.uow() as tx:
        statuses = {(a.kind, a.key): a.status for a in await tx.actions.for_session(session.id)}
    assert all(
        st is ActionStatus.SKIPPED for (k, _), st in statuses.items() if k is ActionKind.REMINDER
    )
    for kind in (ActionKind.START, ActionKind.SWAP, ActionKind.END):
        assert [st for (k, _), st in statuses.items() if k is kind] == [ActionStatus.DONE]
    titles = chat.titles()
    assert titles.index(next(t for t in titles if t.startswith("Part 1"))) < titles.index(
        next(t for t in titles if t.startswith("Part 2"))
    )


async def test_rate_limited_delivery_is_retried_and_sent_once(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", availability="daily 18:00-20:00")
    await app.router.run(alice, "schedule", {"type": "coding"})
    await app.router.run(bob, "schedule", {"type": "coding"})
    chat.fail_next.append(rate_limited(30))
    await app.matching.run_round(alice.community.id)
    await app.tick()
    assert chat.posts == []
    async with app.db.uow() as tx:
        item = (await tx.outbox.all())[0]
    assert item.attempts == 1 and item.last_error == "rate limited"
    clock.advance(timedelta(seconds=31))
    await app.tick()
    await app.tick()
    assert [m.title for _, m in chat.posts] == ["Mock interview booked: Coding"]


async def test_round_is_recorded_and_left_out_member_is_told_why(app: App, chat: FakeChat) -> None:
    alice = await ready_member(app, "alice", availability="daily 18:00-20:00")
    carol = await ready_member(app, "carol", tz="Asia/Tokyo", availability="daily 18:00-20:00")
    await app.router.run(alice, "schedule", {"type": "coding"})
    await app.router.run(carol, "schedule", {"type": "coding"})
    outcome = await app.matching.run_round(alice.community.id)
    await app.tick()
    assert outcome.sessions == () and len(outcome.left_out) == 2
    told = chat.dms_to("carol")
    assert told and told[0].title == "No Coding partner yet"
    why = await app.matching.why_not_matched(alice.community.id, carol.member.id)
    assert why and "time" in why[0][1].lower()
    # A second round with the same reason does not repeat the notice.
    await app.matching.run_round(alice.community.id)
    await app.tick()
    assert len(chat.dms_to("carol")) == 1
    assert T0 <= why[0][0]


def ics_of(message: OutboundMessage) -> str:
    assert message.attachments and message.attachments[0].mime == "text/calendar"
    data = message.attachments[0].data
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")  # a calendar app can read it
    assert len(events) == 1 and events[0]["UID"].endswith("@peerloop")
    return data.decode()


def ics_field(ics: str, name: str) -> str:
    return next(
        line.split(":", 1)[1].strip() for line in ics.splitlines() if line.startswith(f"{name}:")
    )


async def test_reschedule_moves_the_same_session_keeping_its_calendar_uid(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
) -> None:
    session = await book_pair(app)
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    booked_ics = ics_of(chat.posts[0][1])
    assert (await app.router.act(alice, f"pl:session.confirm:{session.id}")).tone is Tone.SUCCESS
    reply = await app.router.act(bob, f"pl:session.reschedule:{session.id}")
    assert reply.tone is Tone.SUCCESS and "Proposed" in reply.text
    await app.tick()
    moved = await session_of(app, session.id)
    # The same session, later, not overlapping the old slot; confirmations start again.
    assert moved.start >= session.start + timedelta(minutes=session.minutes)
    assert moved.sequence == 1 and moved.state is SessionState.PROPOSED and moved.confirmed_by == ()
    assert moved.prompt_ids == session.prompt_ids and moved.request_ids == session.request_ids
    notice = chat.posts[-1][1]
    assert notice.title == "New time proposed"
    assert [b.label for b in notice.buttons] == [
        "Confirm new time",
        "Another time",
        "Priority rematch instead",
        "Can't make it",
    ]
    ics = ics_of(notice)
    assert ics_field(ics, "UID") == ics_field(booked_ics, "UID") == f"session-{session.id}@peerloop"
    assert ics_field(ics, "SEQUENCE") == "1" and ics_field(booked_ics, "SEQUENCE") == "0"
    assert ics_field(ics, "METHOD") == "PUBLISH" and ics_field(ics, "STATUS") == "CONFIRMED"
    assert ics_field(ics, "DTSTART") == moved.start.strftime("%Y%m%dT%H%M%SZ")
    async with app.db.uow() as tx:
        steps = await tx.actions.for_session(session.id)
        requests = [r for mid in session.member_ids for r in await tx.requests.for_member(mid)]
    old = [a for a in steps if a.key.endswith("-0")]
    new = [a for a in steps if a.key.endswith("-1")]
    assert old and all(a.status is ActionStatus.SKIPPED for a in old)
    assert new and all(a.status is ActionStatus.PENDING for a in new)
    assert [a.due_at for a in new if a.kind is ActionKind.START] == [moved.start]
    assert [r.status for r in requests] == [RequestStatus.MATCHED, RequestStatus.MATCHED]
    # Nothing happens at the old time; the session runs at the new one.
    await advance(app, clock, moved.start - timedelta(minutes=1))
    assert not any(t.startswith("Part") for t in chat.titles())
    await advance(app, clock, moved.start + timedelta(minutes=moved.minutes + 1))
    assert (await session_of(app, session.id)).state is SessionState.COMPLETED
    assert any(t.startswith("Part 1") for t in chat.titles())


async def test_another_time_moves_on_and_a_cancel_after_it_cancels_the_same_event(
    app: App,
    chat: FakeChat,
) -> None:
    session = await book_pair(app)
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    await app.router.act(bob, f"pl:session.reschedule:{session.id}")
    first = await session_of(app, session.id)
    await app.router.act(alice, f"pl:session.reschedule:{session.id}")  # "Another time"
    second = await session_of(app, session.id)
    assert second.start > first.start > session.start and second.sequence == 2
    done = await app.router.act(alice, f"pl:session.cancel:{session.id}")
    assert done.tone is Tone.SUCCESS
    await app.tick()
    cancelled = await session_of(app, session.id)
    assert cancelled.state is SessionState.CANCELLED and cancelled.sequence == 3
    # Messages queued at the same instant may arrive in any order: SEQUENCE orders the versions.
    sequences = sorted(
        int(ics_field(ics_of(m), "SEQUENCE")) for _, m in chat.posts if m.attachments
    )
    assert sequences == [0, 1, 2, 3]
    ics = ics_of(next(m for _, m in chat.posts if m.title == "Session cancelled"))
    assert ics_field(ics, "UID") == f"session-{session.id}@peerloop"
    assert ics_field(ics, "METHOD") == "CANCEL" and ics_field(ics, "STATUS") == "CANCELLED"
    assert ics_field(ics, "SEQUENCE") == "3"
    assert ics_field(ics, "DTSTART") == second.start.strftime("%Y%m%dT%H%M%SZ")
    async with app.db.uow() as tx:
        pending = [
            a for a in await tx.actions.for_session(session.id) if a.status is ActionStatus.PENDING
        ]
        bobs = await tx.requests.open_for_member(bob.member.id)
        alices = await tx.requests.open_for_member(alice.member.id)
    # Alice cancelled: Bob, her partner, gets the priority rematch.
    assert pending == [] and [r.priority for r in bobs] == [True] and alices == []


async def test_reschedule_without_a_common_time_releases_both_with_priority(
    app: App, chat: FakeChat
) -> None:
    session = await book_pair(app)
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    await app.profiles.set_availability(
        bob, "sat 06:00-07:00"
    )  # no longer overlaps Alice's evenings
    reply = await app.router.act(alice, f"pl:session.reschedule:{session.id}")
    assert reply.tone is Tone.WARNING and "14 days" in reply.text
    await app.tick()
    released = await session_of(app, session.id)
    assert released.state is SessionState.CANCELLED and released.sequence == 1
    notice = chat.posts[-1][1]
    assert notice.title == "Finding a new time" and "priority" in notice.text
    ics = ics_of(notice)
    assert (
        ics_field(ics, "METHOD") == "CANCEL"
        and ics_field(ics, "UID") == f"session-{session.id}@peerloop"
    )
    async with app.db.uow() as tx:
        reopened = [r for m in (alice, bob) for r in await tx.requests.open_for_member(m.member.id)]
    assert len(reopened) == 2 and all(r.priority for r in reopened)


async def test_priority_rematch_instead_releases_both(app: App, chat: FakeChat) -> None:
    session = await book_pair(app)
    bob = await make_actor(app, "bob")
    bogus = await app.router.act(bob, f"pl:session.reschedule:{session.id}:later")
    assert bogus.tone is Tone.ERROR and "'rematch'" in bogus.text
    assert (await session_of(app, session.id)).state is SessionState.PROPOSED
    reply = await app.router.act(bob, f"pl:session.reschedule:{session.id}:rematch")
    assert reply.tone is Tone.SUCCESS
    await app.tick()
    assert (await session_of(app, session.id)).state is SessionState.CANCELLED
    assert "asked for a rematch instead" in chat.posts[-1][1].text
    async with app.db.uow() as tx:
        reopened = [r for m in session.member_ids for r in await tx.requests.open_for_member(m)]
    assert len(reopened) == 2 and all(r.priority for r in reopened)


async def _reach(app: App, clock: FakeClock, session: Session, state: str) -> None:
    """Bring a booked session to ``state`` through the real steps and buttons."""
    alice, bob = await make_actor(app, "alice"), await make_actor(app, "bob")
    if state in ("confirmed by one", "confirmed"):
        await app.router.act(alice, f"pl:session.confirm:{session.id}")
    if state == "confirmed":
        await app.router.act(bob, f"pl:session.confirm:{session.id}")
    if state == "minutes before start":
        await advance(app, clock, session.start - timedelta(minutes=1))
    if state == "in progress":
        await advance(app, clock, session.start + timedelta(minutes=1))
    if state == "no show":
        await advance(app, clock, session.start + timedelta(minutes=11))
        await app.router.act(alice, f"pl:session.noshow:{session.id}")
    if state == "completed":
        await advance(app, clock, session.start + timedelta(minutes=session.minutes + 1))
    await app.tick()


@pytest.mark.parametrize(
    "state", ["proposed", "confirmed by one", "confirmed", "minutes before start"]
)
@pytest.mark.parametrize("verb", ["cancel", "reschedule"])
async def test_cancel_and_reschedule_work_in_every_state_before_the_start(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
    state: str,
    verb: str,
) -> None:
    session = await book_pair(app)
    await _reach(app, clock, session, state)
    bob = await make_actor(app, "bob")
    reply = await app.router.act(bob, f"pl:session.{verb}:{session.id}")
    assert reply.tone is Tone.SUCCESS, reply.text
    await app.tick()
    after = await session_of(app, session.id)
    if verb == "cancel":
        assert after.state is SessionState.CANCELLED
        assert chat.posts[-1][1].title == "Session cancelled"
    else:
        assert after.state is SessionState.PROPOSED and after.start > session.start
        assert chat.posts[-1][1].title == "New time proposed"
    assert after.sequence == 1
    # The old slot's steps never run (a moved session starts after the old slot's end).
    await advance(
        app,
        clock,
        min(after.start, session.start + timedelta(minutes=session.minutes + 1))
        - timedelta(minutes=1),
    )
    assert not any(t.startswith("Part") for t in chat.titles())


@pytest.mark.parametrize("state", ["in progress", "no show", "completed"])
@pytest.mark.parametrize("verb", ["cancel", "reschedule", "reschedule:{id}:rematch"])
async def test_cancel_and_reschedule_are_refused_once_started_and_change_nothing(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
    state: str,
    verb: str,
) -> None:
    session = await book_pair(app)
    await _reach(app, clock, session, state)
    before = await session_of(app, session.id)
    async with app.db.uow() as tx:
        outbox_before = len(await tx.outbox.all())
    bob = await make_actor(app, "bob")
    action = (
        f"pl:session.{verb.format(id=session.id)}"
        if "{id}" in verb
        else f"pl:session.{verb}:{session.id}"
    )
    reply = await app.router.act(bob, action)
    assert reply.tone is Tone.ERROR and "before its start" in reply.text
    assert await session_of(app, session.id) == before
    async with app.db.uow() as tx:
        assert len(await tx.outbox.all()) == outbox_before
        assert await tx.requests.open_for_member(bob.member.id) == []


async def test_booking_leans_to_the_candidates_weakest_dimension_from_revealed_feedback(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
) -> None:
    alice = await ready_member(app, "alice", level="senior", availability="daily 18:00-20:00")
    bob = await ready_member(app, "bob", level="mid", availability="daily 18:00-20:00")
    # History: Alice interviewed Bob; testing was his weak point, and the feedback was revealed.
    past = await finished_session(app, alice, bob, start=T0 - timedelta(days=3), swap=False)
    form = (await app.router.act(alice, f"pl:feedback.open:{past.id}")).form
    assert form is not None
    scores = {
        f"score.{d}": "3"
        for d in ("understanding", "approach", "correctness", "code-quality", "communication")
    }
    await app.router.act(alice, form.action, fill(form, **{**scores, "score.testing": "1"}))
    own = (await app.router.act(bob, f"pl:feedback.open:{past.id}:1:candidate")).form
    assert own is not None
    shared = await app.router.act(bob, own.action, fill(own))
    assert "shared" in shared.text
    for actor in (alice, bob):
        await app.router.run(actor, "schedule", {"type": "coding"})
    outcome = await app.matching.run_round(alice.community.id)
    session = outcome.sessions[0]
    part = 1 if session.candidate_id == bob.member.id else 2
    prompt = app.prompts.get(session.prompt_ids[part - 1])
    reason = session.prompt_reasons[part - 1]
    assert "testing" in prompt.guide.exercises and prompt.id != past.prompt_ids[0]
    assert reason.startswith(
        "This prompt exercises testing, your candidate's weakest area in coding so far."
    )
    # Alice has no scores as a candidate: her prompt's reason names no weakness.
    assert "weakest" not in session.prompt_reasons[2 - part]
    # The interviewer's guide for Bob's part opens with that reason.
    await advance(app, clock, session.start + timedelta(minutes=session.minutes // 2 + 1))
    guides = [m for who, m in chat.direct if is_guide(m) and who == "alice"]  # Bob's interviewer
    assert guides and guides[0].text.startswith(reason) and "(1/" in (guides[0].title or "")


async def test_upcoming_offers_reschedule_and_cancel_before_the_start(
    app: App, clock: FakeClock
) -> None:
    session = await book_pair(app)
    bob = await make_actor(app, "bob")
    upcoming = await app.router.run(bob, "upcoming", {})
    labels = {b.label: b.action for b in upcoming.buttons}
    assert set(labels) >= {"Confirm Coding", "Reschedule Coding session", "Cancel Coding session"}
    reply = await app.router.act(bob, labels["Reschedule Coding session"])
    assert reply.tone is Tone.SUCCESS
    assert (await session_of(app, session.id)).start > session.start
    await advance(app, clock, (await session_of(app, session.id)).start + timedelta(minutes=1))
    after = await app.router.run(bob, "upcoming", {})
    assert not any(b.label.startswith(("Reschedule", "Cancel")) for b in after.buttons)


async def test_a_reminder_too_late_to_be_useful_is_skipped_and_logged(
    app: App,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = await book_pair(app)
    clock.set(session.start - timedelta(minutes=20))  # down through the 60-minute reminder
    with caplog.at_level("INFO", logger="bot.core.services.step_runner"):
        await app.tick()
    async with app.db.uow() as tx:
        reminders = {
            a.payload["minutes"]: a
            for a in await tx.actions.for_session(session.id)
            if a.kind is ActionKind.REMINDER
        }
    skipped = [a for a in reminders.values() if a.status is ActionStatus.SKIPPED]
    assert skipped and all("too late to be useful" in (a.last_error or "") for a in skipped)
    assert any(
        "skipped reminder" in r.getMessage() and "too late" in r.getMessage()
        for r in caplog.records
    )
    assert (
        await session_of(app, session.id)
    ).state is SessionState.PROPOSED  # the start still comes


async def test_a_feedback_reminder_retried_past_its_time_is_skipped_not_sent(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lateness counts from the time a reminder was planned for, not from its last retry."""
    from bot.core.services.feedback_forms import window_end

    session = await book_pair(app)
    end = session.start + timedelta(minutes=session.minutes)
    await advance(app, clock, end + timedelta(minutes=1))
    requests = [m for _, m in chat.direct if m.title == "Feedback time"]
    assert len(requests) == 2 and all(ts(window_end(session)) in m.text for m in requests)
    assert not any("72 hours" in m.text for m in requests)
    original = app.steps.session_steps.feedback_owed
    failures = 0

    async def flaky(tx: object, s: Session) -> list[str]:  # a database hiccup, four times over
        nonlocal failures
        if failures < 4:
            failures += 1
            raise RuntimeError("database went away")
        return list(await original(tx, s))  # type: ignore[arg-type]

    monkeypatch.setattr(app.steps.session_steps, "feedback_owed", flaky)
    await advance(app, clock, end + timedelta(hours=3))
    assert failures == 4  # the fifth try, 7.5 minutes after the planned time, would have worked
    assert not [m for _, m in chat.direct + chat.posts if m.title == "Feedback reminder"]
    async with app.db.uow() as tx:
        first = next(
            a
            for a in await tx.actions.for_session(session.id)
            if a.key.endswith("feedback-reminder-1")
        )
    assert first.status is ActionStatus.SKIPPED and "too late to be useful" in (
        first.last_error or ""
    )


async def test_an_end_run_after_the_feedback_window_asks_for_no_feedback(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
) -> None:
    session = await book_pair(app)
    clock.set(
        session.start + timedelta(days=4)
    )  # down from before the start until the window closed
    await app.tick()
    assert (await session_of(app, session.id)).state is SessionState.COMPLETED
    assert not [m for _, m in chat.direct + chat.posts if (m.title or "").startswith("Feedback")]
    async with app.db.uow() as tx:
        kinds = {a.kind: a.status for a in await tx.actions.for_session(session.id)}
    assert (
        ActionKind.FEEDBACK_REMINDER not in kinds
        and kinds[ActionKind.FEEDBACK_CLOSE] is ActionStatus.DONE
    )


async def test_a_three_day_jump_after_the_end_sends_no_feedback_reminder(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
) -> None:
    session = await book_pair(app)
    end = session.start + timedelta(minutes=session.minutes)
    await advance(app, clock, end + timedelta(minutes=1))
    clock.set(end + timedelta(days=3))
    await app.tick()
    assert not [m for _, m in chat.direct + chat.posts if m.title == "Feedback reminder"]
    async with app.db.uow() as tx:
        reminders = [
            a
            for a in await tx.actions.for_session(session.id)
            if a.kind is ActionKind.FEEDBACK_REMINDER
        ]
    assert len(reminders) == 2 and all(a.status is ActionStatus.SKIPPED for a in reminders)


async def test_the_pair_space_reads_the_statement_before_the_guide_button(
    app: App,
    chat: FakeChat,
    clock: FakeClock,
) -> None:
    """With closed DMs the guide's button follows the prompt it belongs to, and the prompt
    promises nothing about direct messages."""
    session = await book_pair(app)
    async with app.db.uow() as tx:
        members = await tx.members.get_many(session.member_ids)
    chat.closed_dms.add(members[session.interviewer_id].external_id)
    await advance(app, clock, session.start + timedelta(minutes=1))
    posts = [m for _, m in chat.posts]
    statement = next(i for i, m in enumerate(posts) if (m.title or "").startswith("Part 1:"))
    button = next(i for i, m in enumerate(posts) if "couldn't message you" in m.text)
    assert statement < button
    text = posts[statement].text
    assert (
        "privately" not in text
        and "open the interviewer guide and rubric with the button below" in text
    )
    assert [b.label for b in posts[statement].buttons] == ["Open interviewer guide", "We're done"]


@pytest.mark.parametrize("number", ["²", "٣", "1" * 30, "-1", "", "0x1"])
async def test_a_crafted_version_or_page_in_a_session_button_is_refused_plainly(
    app: App, number: str
) -> None:
    """The version a confirm or reschedule button carries, and a guide's page, are whole
    numbers as PeerLoop writes them: digits ``int`` would refuse (``²``), other scripts, a
    number no session reaches, or nothing, are answered as a button not valid any more, and
    the session does not change."""
    session = await book_pair(app)
    alice = await make_actor(app, "alice")
    for crafted in (
        f"pl:session.confirm:{session.id}:{number}",
        f"pl:session.reschedule:{session.id}:{number}",
        f"pl:guide.open:{session.id}:1:{number}",
    ):
        answer = await app.router.act(alice, crafted)
        assert answer.tone is Tone.ERROR, (crafted, answer.text)
        assert "incident" not in answer.text.lower(), answer.text
    after = await session_of(app, session.id)
    assert (after.sequence, after.confirmed_by) == (session.sequence, session.confirmed_by)
