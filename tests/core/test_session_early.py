"""Start early, end early, and an admin ending a stuck session (the core, with a fake clock)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import Tone
from bot.core.models import ActionKind, ActionStatus, Session, SessionState
from tests.conftest import make_actor
from tests.core.test_sessions import advance, book_pair, session_of
from tests.fakes.fake_chat import FakeChat


@pytest.fixture
def capp(chat_app: App) -> App:
    """Most of these tests run on SQLite with a recording chat (``chat``)."""
    return chat_app


async def _actors(app: App, session: Session) -> tuple[object, object]:
    async with app.db.uow() as tx:
        members = await tx.members.get_many(session.member_ids)
    first = await make_actor(app, members[session.interviewer_id].external_id)
    second = await make_actor(app, members[session.candidate_id].external_id)
    return first, second


async def _steps(app: App, session_id: str) -> dict[str, ActionStatus]:
    async with app.db.uow() as tx:
        return {a.key.split(":")[-1]: a.status for a in await tx.actions.for_session(session_id)}


def _statements(chat: FakeChat) -> list[str]:
    return [m.title or "" for _, m in chat.posts if (m.title or "").startswith("Part 1:")]


async def test_both_here_then_start_now_moves_the_start_and_replans_the_steps(
    capp: App, chat: FakeChat, clock: FakeClock
) -> None:
    app = capp
    session = await book_pair(app)
    a, b = await _actors(app, session)
    here = f"pl:session.here:{session.id}"
    # Too early: more than an hour before the start.
    early = await app.router.act(a, here)  # type: ignore[arg-type]
    assert early.tone is Tone.ERROR and "an hour before the start" in early.text
    await advance(app, clock, session.start - timedelta(minutes=40))
    # The reminder an hour before offers "My partner is here".
    reminders = [m for _, m in chat.posts if m.title == "Reminder"]
    assert any("My partner is here" in [x.label for x in m.buttons] for m in reminders)
    # "Start now" before both are here is refused.
    start = f"pl:session.start_now:{session.id}"
    refused = await app.router.act(a, start)  # type: ignore[arg-type]
    assert refused.tone is Tone.ERROR and "both pressed" in refused.text
    first = await app.router.act(a, here)  # type: ignore[arg-type]
    assert first.tone is Tone.SUCCESS and not first.buttons
    assert first.carrier is not None and "says their partner is here" in first.carrier.note
    # The pair's message keeps the button for the partner, and its other buttons.
    assert "My partner is here" in [x.label for x in first.carrier.buttons]
    assert "Reschedule" in [x.label for x in first.carrier.buttons]
    # A third member can press nothing of theirs.
    carol = await make_actor(app, "carol")
    for verb in ("here", "start_now", "done"):
        other = await app.router.act(carol, f"pl:session.{verb}:{session.id}")
        assert other.tone is Tone.ERROR and "not yours" in other.text
    second = await app.router.act(b, here)  # type: ignore[arg-type]
    assert [x.label for x in second.buttons] == ["Start now"]
    assert second.carrier is not None and second.carrier.buttons[0].label == "Start now"
    assert "My partner is here" not in [x.label for x in second.carrier.buttons]
    await app.tick()
    assert any(
        "Start now" in [x.label for x in m.buttons] for _, m in chat.posts
    )  # the pair space offers it too
    stored = await session_of(app, session.id)
    assert set(stored.here_by) == set(session.member_ids)  # kept in the database

    now = clock.now()
    started = await app.router.act(b, start)  # type: ignore[arg-type]
    assert started.tone is Tone.SUCCESS, started.text
    moved = await session_of(app, session.id)
    assert moved.state is SessionState.IN_PROGRESS
    assert moved.start == now.replace(second=0, microsecond=0)
    assert moved.sequence == session.sequence + 1
    steps = await _steps(app, session.id)
    assert steps[f"start-{session.sequence}"] is ActionStatus.SKIPPED
    assert steps[f"end-{session.sequence}"] is ActionStatus.SKIPPED
    assert steps[f"start-{moved.sequence}"] is ActionStatus.DONE
    async with app.db.uow() as tx:
        pending = {
            a.kind: a.due_at
            for a in await tx.actions.for_session(session.id)
            if a.status is ActionStatus.PENDING
        }
    assert pending[ActionKind.SWAP] == moved.start + timedelta(minutes=moved.minutes // 2)
    assert pending[ActionKind.END] == moved.start + timedelta(minutes=moved.minutes)
    await app.tick()
    assert len(_statements(chat)) == 1  # part one went out at once
    # Pressing again (or the old start time passing) starts nothing twice.
    again = await app.router.act(a, start)  # type: ignore[arg-type]
    assert "already started" in again.text and again.tone is not Tone.ERROR
    await advance(app, clock, session.start + timedelta(minutes=1))
    assert len(_statements(chat)) == 1


async def _queued(app: App, part: str) -> int:
    async with app.db.uow() as tx:
        return len([item for item in await tx.outbox.all() if part in item.key])


async def test_two_start_now_presses_at_once_start_once(app: App, clock: FakeClock) -> None:
    """On SQLite and PostgreSQL: one press starts the session, the other reads that it has."""
    session = await book_pair(app)
    a, b = await _actors(app, session)
    clock.set(session.start - timedelta(minutes=5))
    for actor in (a, b):
        await app.router.act(actor, f"pl:session.here:{session.id}")  # type: ignore[arg-type]
    replies = await asyncio.gather(
        app.router.act(a, f"pl:session.start_now:{session.id}"),  # type: ignore[arg-type]
        app.router.act(b, f"pl:session.start_now:{session.id}"),  # type: ignore[arg-type]
    )
    assert sorted(r.text.startswith("Started") for r in replies) == [False, True]
    assert await _queued(app, ":statement") == 1
    assert (await session_of(app, session.id)).sequence == session.sequence + 1
    await app.steps.run_due()
    assert await _queued(app, ":statement") == 1


async def test_we_are_done_needs_both_then_opens_feedback_at_once(
    capp: App, chat: FakeChat, clock: FakeClock
) -> None:
    app = capp
    session = await book_pair(app)
    a, b = await _actors(app, session)
    done = f"pl:session.done:{session.id}"
    before = await app.router.act(a, done)  # type: ignore[arg-type]
    assert before.tone is Tone.ERROR and "has not started" in before.text
    await advance(app, clock, session.start + timedelta(minutes=12))
    statement = next(m for _, m in chat.posts if (m.title or "").startswith("Part 1:"))
    assert "We're done" in [x.label for x in statement.buttons]
    first = await app.router.act(a, done)  # type: ignore[arg-type]
    assert "Asked" in first.text and first.carrier is not None
    assert [x.label for x in first.carrier.buttons] == ["We're done"]
    repeat = await app.router.act(a, done)  # type: ignore[arg-type]
    assert "Still waiting" in repeat.text
    assert (await session_of(app, session.id)).state is SessionState.IN_PROGRESS
    await app.tick()
    asked = [m for _, m in chat.posts if "says you're done" in m.text]
    assert len(asked) == 1 and asked[0].mentions
    dms_before = len(chat.direct)
    second = await app.router.act(b, done)  # type: ignore[arg-type]
    assert second.tone is Tone.SUCCESS and "Ended" in second.text
    ended = await session_of(app, session.id)
    assert ended.state is SessionState.COMPLETED
    await app.tick()
    feedback = [m for _, m in chat.direct[dms_before:] if m.title == "Feedback time"]
    assert len(feedback) == 2
    steps = await _steps(app, session.id)
    assert steps[f"swap-{session.sequence}"] is ActionStatus.SKIPPED
    assert steps[f"end-{session.sequence}"] is ActionStatus.SKIPPED
    assert steps["feedback-close"] is ActionStatus.PENDING
    assert steps["feedback-reminder-1"] is ActionStatus.PENDING
    # The rest of the planned session sends nothing more, and a late press is answered plainly.
    await advance(app, clock, session.start + timedelta(minutes=session.minutes + 1))
    assert not [m for _, m in chat.posts if (m.title or "").startswith("Part 2:")]
    assert len([m for _, m in chat.direct if m.title == "Feedback time"]) == 2
    late = await app.router.act(a, done)  # type: ignore[arg-type]
    assert late.tone is not Tone.ERROR and "already completed" in late.text
    # Feedback opens now.
    form = await app.router.act(a, f"pl:feedback.open:{session.id}")  # type: ignore[arg-type]
    assert form.tone is not Tone.ERROR


async def test_both_pressing_we_are_done_at_once_ends_it_once(app: App, clock: FakeClock) -> None:
    """On SQLite and PostgreSQL: both presses count, the session ends once."""
    session = await book_pair(app)
    a, b = await _actors(app, session)
    clock.set(session.start + timedelta(minutes=1))
    await app.steps.run_due()
    clock.set(session.start + timedelta(minutes=15))
    await asyncio.gather(
        app.router.act(a, f"pl:session.done:{session.id}"),  # type: ignore[arg-type]
        app.router.act(b, f"pl:session.done:{session.id}"),  # type: ignore[arg-type]
    )
    assert (await session_of(app, session.id)).state is SessionState.COMPLETED
    assert await _queued(app, ":feedback:") == 2


async def test_an_admin_ends_a_stuck_session(capp: App, chat: FakeChat, clock: FakeClock) -> None:
    app = capp
    session = await book_pair(app)
    a, _b = await _actors(app, session)
    admin = await make_actor(app, "root", admin=True)
    # Before its start it cannot be ended (its members can cancel it).
    early = await app.admin_commands.run(admin, "end", {"session": session.id})
    assert early.tone is Tone.ERROR and "in progress" in early.text
    # A member is no admin; a crafted id is refused and names what is accepted.
    assert (await app.admin_commands.run(a, "end", {"session": session.id})).tone is Tone.ERROR  # type: ignore[arg-type]
    crafted = await app.admin_commands.run(admin, "end", {"session": "nope'; drop"})
    assert crafted.tone is Tone.ERROR and "No session of this community" in crafted.text
    # Its start step is stuck (failed): the session never started.
    async with app.db.uow() as tx:
        await tx.actions.cancel_for_session(session.id, clock.now(), [ActionKind.START])
    await advance(app, clock, session.start + timedelta(minutes=20))
    assert (await session_of(app, session.id)).state is SessionState.CONFIRMED or (
        await session_of(app, session.id)
    ).state is SessionState.PROPOSED
    view = await app.admin_commands.run(admin, "member", {"user": "alice"})
    end_buttons = [x for x in view.buttons if x.label.startswith("End session")]
    assert end_buttons and end_buttons[0].action == f"pl:admin.end_session:{session.id}"
    assert any(session.id in f.value for f in view.fields)
    # Only an admin may press it.
    assert (await app.router.act(a, end_buttons[0].action)).tone is Tone.ERROR  # type: ignore[arg-type]
    dms_before = len(chat.direct)
    ended = await app.router.act(admin, end_buttons[0].action)
    assert ended.tone is Tone.SUCCESS, ended.text
    assert (await session_of(app, session.id)).state is SessionState.COMPLETED
    await app.tick()
    assert len([m for _, m in chat.direct[dms_before:] if m.title == "Feedback time"]) == 2
    assert any(m.title == "Session ended by an admin" for _, m in chat.posts)
    again = await app.admin_commands.run(admin, "end", {"session": session.id})
    assert again.tone is not Tone.ERROR and "already completed" in again.text


async def test_an_admin_of_another_community_cannot_end_it(app: App, clock: FakeClock) -> None:
    from bot.core.models import Platform

    session = await book_pair(app)
    await advance(app, clock, session.start + timedelta(minutes=5))
    stranger = await app.actors.resolve(
        Platform.CONSOLE, "elsewhere", "Elsewhere", "root", "Root", platform_admin=True
    )
    refused = await app.admin_commands.run(stranger, "end", {"session": session.id})
    assert refused.tone is Tone.ERROR
    refused = await app.router.act(stranger, f"pl:admin.end_session:{session.id}")
    assert refused.tone is Tone.ERROR
    assert (await session_of(app, session.id)).state is SessionState.IN_PROGRESS


async def test_the_voice_channel_opens_at_an_early_start_and_is_not_closed_by_an_early_end(
    capp: App, clock: FakeClock
) -> None:
    """A community with voice channels: "Start now" opens the channel now (the name its removal
    expects), and "We're done" leaves its removal planned: the pair is not cut off mid-call."""
    from dataclasses import replace

    app = capp
    session = await book_pair(app)
    async with app.db.uow() as tx:
        community = await tx.communities.get(session.community_id)
        assert community is not None
        await tx.communities.save_settings(
            community.id, replace(community.settings, voice_category_id="123")
        )
        from bot.core.services.session_voice import room_steps

        await tx.actions.add_many(
            room_steps(session, replace(community.settings, voice_category_id="123"), clock.now())
        )
    a, b = await _actors(app, session)
    clock.set(session.start - timedelta(minutes=30))
    for actor in (a, b):
        await app.router.act(actor, f"pl:session.here:{session.id}")  # type: ignore[arg-type]
    await app.router.act(a, f"pl:session.start_now:{session.id}")  # type: ignore[arg-type]
    async with app.db.uow() as tx:
        voice = [
            x for x in await tx.actions.for_session(session.id) if x.kind.value.startswith("voice")
        ]
    opens = {x.key.split(":")[-1]: x for x in voice if x.kind is ActionKind.VOICE_OPEN}
    assert opens[f"voice-open-{session.sequence}"].status is ActionStatus.SKIPPED
    early = opens[f"voice-open-{session.sequence + 1}-early"]
    assert (
        early.due_at <= clock.now()
        and early.payload["name"] == opens[f"voice-open-{session.sequence}"].payload["name"]
    )
    clock.set(session.start - timedelta(minutes=10))
    for actor in (a, b):
        await app.router.act(actor, f"pl:session.done:{session.id}")  # type: ignore[arg-type]
    assert (await session_of(app, session.id)).state is SessionState.COMPLETED
    async with app.db.uow() as tx:
        closes = [
            x for x in await tx.actions.for_session(session.id) if x.kind is ActionKind.VOICE_CLOSE
        ]
    assert closes and all(x.status is ActionStatus.PENDING for x in closes)
