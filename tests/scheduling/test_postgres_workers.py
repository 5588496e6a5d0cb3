"""Two workers on one PostgreSQL database: claims with SKIP LOCKED and the round lock keep
every step to one run, every message to one send, and every member to one pair per round."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.models import ActionKind, ActionStatus, OutboxStatus, Platform, SessionState
from tests.conftest import PG_ENV, _reset_postgres, postgres_url
from tests.scheduling.helpers import RecordingChat, book_pairs, ready_requests

pytestmark = pytest.mark.skipif(
    postgres_url() is None,
    reason=f"PostgreSQL worker tests skipped: {PG_ENV} is not set (e.g. "
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test)",
)


@pytest.fixture
async def two_apps(
    clock: FakeClock,
) -> AsyncIterator[tuple[App, App, RecordingChat, RecordingChat]]:
    url = postgres_url()
    assert url is not None
    await _reset_postgres(url)
    chat1, chat2 = RecordingChat(prefix="w1"), RecordingChat(prefix="w2")
    app1 = await build_app(url, clock=clock, chats={Platform.CONSOLE: chat1})
    app2 = await build_app(url, clock=clock, chats={Platform.CONSOLE: chat2}, upgrade=False)
    try:
        yield app1, app2, chat1, chat2
    finally:
        await app1.close()
        await app2.close()


async def _work(app: App) -> None:
    for _ in range(100):
        ran = await app.steps.run_due()
        sent = await app.delivery.deliver_due()
        if not ran and not sent:
            return


async def test_two_workers_run_each_step_once_and_send_each_message_once(
    two_apps: tuple[App, App, RecordingChat, RecordingChat], clock: FakeClock
) -> None:
    app1, app2, chat1, chat2 = two_apps
    _, sessions = await book_pairs(app1, members=40)
    clock.set(max(s.start for s in sessions) + timedelta(minutes=90))
    await asyncio.gather(_work(app1), _work(app2))
    await asyncio.gather(_work(app1), _work(app2))  # and nothing is left for a second pass
    async with app1.db.uow() as tx:
        for s in sessions:
            stored = await tx.sessions.get(s.id)
            assert stored is not None and stored.state is SessionState.COMPLETED
            steps = {a.kind: a for a in await tx.actions.for_session(s.id)}
            for kind in (ActionKind.START, ActionKind.SWAP, ActionKind.END):
                assert steps[kind].status is ActionStatus.DONE, (kind, steps[kind].last_error)
            assert all(a.attempts == 0 for a in steps.values())
        items = await tx.outbox.all()
    assert items and all(i.status is OutboxStatus.SENT for i in items)
    refs = sorted(i.sent_ref or "" for i in items)
    assert refs == sorted(chat1.refs() + chat2.refs())  # one send per row, none extra
    assert chat1.messages and chat2.messages  # both workers really worked


async def test_two_rounds_at_once_never_pair_a_member_twice(
    two_apps: tuple[App, App, RecordingChat, RecordingChat],
) -> None:
    app1, app2, _, _ = two_apps
    actors = await ready_requests(app1, 30)
    community_id = next(iter(actors.values())).community.id
    first, second = await asyncio.gather(
        app1.matching.run_round(community_id), app2.matching.run_round(community_id)
    )
    paired = [m for outcome in (first, second) for s in outcome.sessions for m in s.member_ids]
    assert len(paired) == len(set(paired)) == 30
    async with app1.db.uow() as tx:
        stored = await tx.sessions.for_community(community_id)
    assert len(stored) == len(first.sessions) + len(second.sessions) == 15
    assert min(len(first.sessions), len(second.sessions)) == 0  # the second round found nobody left


async def test_a_step_waits_for_its_sessions_start_running_on_another_worker(
    two_apps: tuple[App, App, RecordingChat, RecordingChat],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker 1 has claimed a session's start and is still in it; worker 2 comes to the same
    session's end. The end waits for the session, then runs once the start is done: it does
    not fail "not started yet" and wait for a retry."""
    from bot.storage.action_repo import SqlActionRepo

    app1, app2, _, _ = two_apps
    _, sessions = await book_pairs(app1, members=2)
    session = sessions[0]
    clock.set(session.start + timedelta(minutes=90))
    async with app1.db.uow() as tx:
        steps = {a.kind: a for a in await tx.actions.for_session(session.id)}
    start_id, end_id = steps[ActionKind.START].id, steps[ActionKind.END].id
    claim = SqlActionRepo.claim

    async def slow_start(self: SqlActionRepo, action_id: str, now: datetime) -> object:
        claimed = await claim(self, action_id, now)
        if action_id == start_id and claimed is not None:
            await asyncio.sleep(0.5)  # the start is claimed and still running
        return claimed

    monkeypatch.setattr(SqlActionRepo, "claim", slow_start)

    async def end_a_moment_later() -> bool:
        await asyncio.sleep(0.15)
        return await app2.steps.run_one(end_id)

    started, ended = await asyncio.gather(app1.steps.run_one(start_id), end_a_moment_later())
    assert started and ended
    async with app1.db.uow() as tx:
        done = {a.kind: a for a in await tx.actions.for_session(session.id)}
    assert done[ActionKind.START].status is ActionStatus.DONE
    assert done[ActionKind.END].status is ActionStatus.DONE
    assert done[ActionKind.END].attempts == 0, done[ActionKind.END].last_error


async def test_two_processes_ticking_together_through_days_run_each_step_and_message_once(
    two_apps: tuple[App, App, RecordingChat, RecordingChat], clock: FakeClock
) -> None:
    """Two app processes on one database ticking at the same moments through three days:
    matching rounds (stored steps), every session's steps, digests and the outbox. Each step
    runs once and without a failed attempt, and each message is sent once, by one of them."""
    app1, app2, chat1, chat2 = two_apps
    await ready_requests(app1, 12)
    for _ in range(3 * 24):
        clock.set(clock.now() + timedelta(hours=1))
        await asyncio.gather(app1.tick(), app2.tick())
    async with app1.db.uow() as tx:
        items = await tx.outbox.all()
        steps = [
            a
            for s in await tx.sessions.for_community(items[0].community_id)
            for a in await tx.actions.for_session(s.id)
        ]
    assert steps and items
    failed = [
        (a.kind, a.last_error) for a in steps if a.attempts or a.status is ActionStatus.FAILED
    ]
    assert failed == []
    assert all(i.status is OutboxStatus.SENT for i in items), [i.status for i in items]
    refs = sorted(i.sent_ref or "" for i in items)
    assert refs == sorted(chat1.refs() + chat2.refs())  # one send per row, none extra
