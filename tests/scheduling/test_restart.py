"""Restarts, duplicate runs and downtime: every stored step runs once, every message is sent once."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.core.actions import encode
from bot.core.clock import FakeClock
from bot.core.models import (
    ActionKind,
    ActionStatus,
    OutboxStatus,
    Platform,
    RequestStatus,
    SessionState,
)
from bot.core.services.session_plan import NOSHOW_AFTER
from bot.scheduling import SchedulerRuntime
from bot.settings import sqlite_url_for
from tests.scheduling.helpers import RecordingChat, book_pairs

FINAL = (ActionStatus.DONE, ActionStatus.SKIPPED)


@pytest.fixture
def chat() -> RecordingChat:
    return RecordingChat()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url_for(tmp_path / "restart.sqlite3")


@pytest.fixture
async def booked(db_url: str, clock: FakeClock, chat: RecordingChat) -> AsyncIterator[App]:
    app = await build_app(db_url, clock=clock, chats={Platform.CONSOLE: chat})
    try:
        yield app
    finally:
        await app.close()


async def _outbox_matches_chat(app: App, chat: RecordingChat) -> None:
    async with app.db.uow() as tx:
        items = await tx.outbox.all()
    sent = [i for i in items if i.status is OutboxStatus.SENT]
    assert all(i.status is not OutboxStatus.FAILED for i in items)
    assert len({i.key for i in items}) == len(items)
    # Every sent row names exactly one message the chat got, and the chat got nothing else.
    assert sorted(i.sent_ref or "" for i in sent) == sorted(chat.refs())
    assert len(chat.messages) == len(sent)


@pytest.mark.parametrize("seed", [1, 7, 42])
async def test_restarts_and_duplicates_run_every_step_once(
    db_url: str, clock: FakeClock, chat: RecordingChat, seed: int
) -> None:
    rng = random.Random(seed)
    app = await build_app(db_url, clock=clock, chats={Platform.CONSOLE: chat})
    _, sessions = await book_pairs(app)
    runtime = SchedulerRuntime(app)
    await runtime.sync_timers()
    restarts = duplicates = 0
    end = max(s.start for s in sessions) + timedelta(days=4)
    try:
        while clock.now() < end:
            clock.advance(timedelta(minutes=rng.choice([1, 2, 5, 9, 15, 40, 95, 300, 700])))
            if rng.random() < 0.2:  # a restart: the process and its timers are gone
                await app.close()
                app = await build_app(db_url, clock=clock, chats={Platform.CONSOLE: chat})
                runtime = SchedulerRuntime(app)
                await runtime.sync_timers()
                restarts += 1
            for action_id in runtime.timers_due(clock.now()):
                await runtime.fire(action_id)
                if rng.random() < 0.25:  # the same timer delivered twice
                    await runtime.fire(action_id)
                    await app.steps.run_one(action_id)
                    duplicates += 1
            await runtime.sweep()
            if rng.random() < 0.3:
                await app.tick()
                await app.tick()
        await app.tick()
        assert restarts and duplicates
        async with app.db.uow() as tx:
            for s in sessions:
                stored = await tx.sessions.get(s.id)
                assert stored is not None and stored.state is SessionState.COMPLETED
                steps = await tx.actions.for_session(s.id)
                assert {a.kind for a in steps} >= {
                    ActionKind.START,
                    ActionKind.SWAP,
                    ActionKind.END,
                    ActionKind.FEEDBACK_CLOSE,
                }
                assert all(a.status in FINAL and a.attempts == 0 for a in steps), steps
            # Only the community's next matching round is still ahead.
            rounds = await tx.actions.by_kind(ActionKind.MATCH_ROUND)
            assert [a.due_at > clock.now() for a in rounds if a.status is ActionStatus.PENDING] == [
                True
            ]
            assert all(a.status in FINAL for a in rounds if a.status is not ActionStatus.PENDING)
        await _outbox_matches_chat(app, chat)
        # Each session's end asked both members for feedback exactly once (by direct message).
        async with app.db.uow() as tx:
            keys = [i.key for i in await tx.outbox.all()]
        assert len([k for k in keys if ":end-" in k and ":feedback:" in k]) == 2 * len(sessions)
    finally:
        await app.close()


async def test_late_start_after_downtime_runs_start_swap_end_and_skips_stale_reminders(
    booked: App, clock: FakeClock, chat: RecordingChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sessions = await book_pairs(booked)
    session = sessions[0]
    order: list[ActionKind] = []
    original = booked.steps._execute

    async def spy(tx, action, now):  # type: ignore[no-untyped-def]
        result = await original(tx, action, now)
        if action.session_id == session.id:
            order.append(action.kind)
        return result

    monkeypatch.setattr(booked.steps, "_execute", spy)
    # Down from booking until well after the end.
    clock.set(session.start + timedelta(minutes=session.minutes + 20))
    runtime = SchedulerRuntime(booked)
    await runtime.sync_timers()
    await runtime.sweep()
    await booked.tick()
    # In due order: reminder (T-10), start, no-show check (T+10), swap (T+30), end.
    assert order == [
        ActionKind.REMINDER,
        ActionKind.START,
        ActionKind.NOSHOW_CHECK,
        ActionKind.SWAP,
        ActionKind.END,
    ]
    async with booked.db.uow() as tx:
        steps = {a.kind: a for a in await tx.actions.for_session(session.id)}
        stored = await tx.sessions.get(session.id)
    assert stored is not None and stored.state is SessionState.COMPLETED
    assert steps[ActionKind.REMINDER].status is ActionStatus.SKIPPED
    assert "too late" in (steps[ActionKind.REMINDER].last_error or "")
    assert steps[ActionKind.NOSHOW_CHECK].status is ActionStatus.SKIPPED
    for kind in (ActionKind.START, ActionKind.SWAP, ActionKind.END):
        assert steps[kind].status is ActionStatus.DONE
    assert steps[ActionKind.FEEDBACK_REMINDER].status is ActionStatus.PENDING
    await _outbox_matches_chat(booked, chat)


@pytest.mark.parametrize("confirm_first", [False, True])
async def test_cancel_before_start_cancels_pending_steps(
    booked: App, clock: FakeClock, chat: RecordingChat, confirm_first: bool
) -> None:
    actors, sessions = await book_pairs(booked)
    session = sessions[0]
    a, b = (actors[m] for m in session.member_ids)
    if confirm_first:
        for actor in (a, b):
            await booked.router.act(actor, encode("session.confirm", session.id))
    async with booked.db.uow() as tx:
        stored = await tx.sessions.get(session.id)
    assert stored is not None
    assert stored.state is (SessionState.CONFIRMED if confirm_first else SessionState.PROPOSED)
    reply = await booked.router.act(a, encode("session.cancel", session.id))
    assert "Cancelled" in reply.text
    clock.set(session.start + timedelta(hours=2))
    await booked.tick()
    async with booked.db.uow() as tx:
        stored = await tx.sessions.get(session.id)
        steps = await tx.actions.for_session(session.id)
        reopened = await tx.requests.open_for_member(b.member.id)
    assert stored is not None and stored.state is SessionState.CANCELLED
    assert steps and all(s.status is ActionStatus.SKIPPED for s in steps)
    assert [r.priority for r in reopened] == [True]
    assert any("session is off" in m.text for _, _, m in chat.messages)


async def test_priority_rematch_instead_of_a_new_time_books_a_new_session(
    booked: App, clock: FakeClock
) -> None:
    actors, sessions = await book_pairs(booked)
    session = sessions[0]
    a, b = (actors[m] for m in session.member_ids)
    await booked.router.act(a, encode("session.reschedule", session.id, "rematch"))
    async with booked.db.uow() as tx:
        for actor in (a, b):
            reqs = await tx.requests.open_for_member(actor.member.id)
            assert [r.status for r in reqs] == [RequestStatus.OPEN] and reqs[0].priority
    outcome = await booked.matching.run_round(a.community.id)
    assert outcome.sessions and {a.member.id, b.member.id} <= {
        m for s in outcome.sessions for m in s.member_ids
    }
    async with booked.db.uow() as tx:
        old = await tx.actions.for_session(session.id)
        new = [x for s in outcome.sessions for x in await tx.actions.for_session(s.id)]
    assert all(x.status is ActionStatus.SKIPPED for x in old)
    assert new and all(x.status is ActionStatus.PENDING for x in new)


async def test_no_show_report_from_the_check_button(
    booked: App, clock: FakeClock, chat: RecordingChat
) -> None:
    actors, sessions = await book_pairs(booked)
    session = sessions[0]
    clock.set(session.start + NOSHOW_AFTER)
    await booked.tick()
    buttons = [x for x in chat.actions_for("session.noshow") if session.id in x]
    assert buttons, "the no-show check offers a button"
    reporter = actors[session.interviewer_id]
    reply = await booked.router.act(reporter, buttons[0])
    assert "recorded" in reply.text
    again = await booked.router.act(reporter, buttons[0])
    assert "nothing to report" in again.text
    clock.set(session.start + timedelta(minutes=session.minutes + 5))
    await booked.tick()
    async with booked.db.uow() as tx:
        stored = await tx.sessions.get(session.id)
        steps = {x.kind: x for x in await tx.actions.for_session(session.id)}
    assert stored is not None and stored.state is SessionState.NO_SHOW
    assert steps[ActionKind.END].status is ActionStatus.SKIPPED
    notices = [m for kind, who, m in chat.messages if kind == "dm" and who == session.candidate_id]
    assert any("didn't join" in m.text for m in notices)
    await _outbox_matches_chat(booked, chat)
