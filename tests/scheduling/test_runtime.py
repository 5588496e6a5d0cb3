"""The scheduler runtime: timers fire and run stored steps, the sweep catches new rows,
failing steps are retried with backoff and given up after MAX_ATTEMPTS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.core.clock import FakeClock, SystemClock
from bot.core.models import ActionKind, ActionStatus, OutboxStatus, Platform, ScheduledAction
from bot.core.services.actor import new_id
from bot.core.services.step_runner import MAX_ATTEMPTS, backoff
from bot.scheduling import SchedulerRuntime
from bot.settings import sqlite_url_for
from tests.conftest import ready_member
from tests.scheduling.helpers import RecordingChat


@pytest.fixture
def chat() -> RecordingChat:
    return RecordingChat()


@pytest.fixture
async def live_app(tmp_path: Path, chat: RecordingChat) -> AsyncIterator[App]:
    """An app on the real clock, for timers that fire in real time."""
    app = await build_app(
        sqlite_url_for(tmp_path / "live.sqlite3"),
        clock=SystemClock(),
        chats={Platform.CONSOLE: chat},
    )
    try:
        yield app
    finally:
        await app.close()


async def _expiry(app: App, name: str, due: datetime) -> str:
    """An open request and its expiry step, due at ``due``; returns the step id."""
    actor = await ready_member(app, name)
    await app.router.run(actor, "schedule", {"type": "coding"})
    async with app.db.uow() as tx:
        request = (await tx.requests.open_for_member(actor.member.id))[0]
        action_id = new_id()
        await tx.actions.add(
            ScheduledAction(
                id=action_id,
                key=f"test-expire:{request.id}",
                kind=ActionKind.EXPIRE_REQUEST,
                community_id=actor.community.id,
                due_at=due,
                payload={"request_id": request.id},
            )
        )
    return action_id


async def _status(app: App, action_id: str) -> ActionStatus:
    async with app.db.uow() as tx:
        action = await tx.actions.get(action_id)
    assert action is not None
    return action.status


async def _wait_for(predicate_coro, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await predicate_coro():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the scheduler")


async def test_timers_fire_run_steps_and_deliver(live_app: App, chat: RecordingChat) -> None:
    now = datetime.now(UTC)
    soon = await _expiry(live_app, "alice", now + timedelta(seconds=1))
    later = await _expiry(
        live_app, "bob", now + timedelta(seconds=4)
    )  # far enough that a loaded machine starts first
    overdue = await _expiry(live_app, "carol", now - timedelta(hours=3))  # downtime: still runs
    runtime = SchedulerRuntime(live_app, sweep_seconds=60)
    try:
        timers = await runtime.start()
        assert timers >= 3
        job = runtime.scheduler.get_job(soon)
        assert job is not None and job.misfire_grace_time is None and job.coalesce
        assert await _status(live_app, later) is ActionStatus.PENDING

        async def all_done() -> bool:
            return all(
                [await _status(live_app, a) is ActionStatus.DONE for a in (soon, later, overdue)]
            )

        async def all_sent() -> bool:
            # the chat records a message before the delivery's transaction marks it sent
            async with live_app.db.uow() as tx:
                marked = all(item.status is OutboxStatus.SENT for item in await tx.outbox.all())
            return (
                marked
                and len([m for m in chat.messages if "left the live queue" in m[2].text]) == 3
            )

        await _wait_for(all_done)
        await _wait_for(all_sent)
        assert len([m for m in chat.messages if "left the live queue" in m[2].text]) == 3
        async with live_app.db.uow() as tx:
            assert all(item.status is OutboxStatus.SENT for item in await tx.outbox.all())
    finally:
        await runtime.stop()
    assert not runtime.scheduler.running


async def test_sweep_picks_up_rows_written_after_start(live_app: App, chat: RecordingChat) -> None:
    runtime = SchedulerRuntime(live_app, sweep_seconds=0.2)
    try:
        await runtime.start()
        # A service writes a new step after start: no timer exists for it yet.
        fresh = await _expiry(live_app, "dave", datetime.now(UTC))
        assert fresh not in runtime.timers

        async def delivered() -> bool:
            return any("left the live queue" in m[2].text for m in chat.messages)

        await _wait_for(delivered)
        assert await _status(live_app, fresh) is ActionStatus.DONE
    finally:
        await runtime.stop()


async def test_failing_step_is_retried_with_backoff_then_marked_failed(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    action_id = await _expiry(app, "erin", clock.now())
    calls: list[datetime] = []
    original = app.steps._execute

    async def broken(tx, action, now):  # type: ignore[no-untyped-def]
        if action.id != action_id:
            return await original(tx, action, now)
        calls.append(now)
        raise RuntimeError("chat platform exploded")

    monkeypatch.setattr(app.steps, "_execute", broken)
    runtime = SchedulerRuntime(app)  # driven by hand: the fake clock decides what is due
    await runtime.sync_timers()
    assert action_id in runtime.timers
    for attempt in range(MAX_ATTEMPTS - 1):
        clock.set(runtime.timers[action_id])
        await runtime.fire(action_id)
        async with app.db.uow() as tx:
            action = await tx.actions.get(action_id)
        assert action is not None and action.status is ActionStatus.PENDING
        assert action.attempts == attempt + 1
        assert action.due_at == clock.now() + backoff(attempt)
        assert runtime.timers[action_id] == action.due_at  # re-armed at the backoff time
        assert "exploded" in (action.last_error or "")
    # Not due yet: firing early changes nothing.
    await runtime.fire(action_id)
    assert len(calls) == MAX_ATTEMPTS - 1
    clock.set(runtime.timers[action_id])
    await runtime.fire(action_id)
    assert len(calls) == MAX_ATTEMPTS
    assert await _status(app, action_id) is ActionStatus.FAILED
    assert action_id not in runtime.timers
    await runtime.sweep()  # a failed step is never picked up again
    assert len(calls) == MAX_ATTEMPTS


async def test_sweep_without_timers_runs_due_steps_on_a_fake_clock(
    app: App, clock: FakeClock
) -> None:
    first = await _expiry(app, "frank", clock.now() + timedelta(minutes=5))
    runtime = SchedulerRuntime(app)
    await runtime.sweep()  # runs the community's due matching round, arms the rest
    assert first in runtime.timers and first not in runtime.timers_due(clock.now())
    assert await _status(app, first) is ActionStatus.PENDING
    clock.advance(timedelta(minutes=5))
    assert first in runtime.timers_due(clock.now())
    ran, _, _ = await runtime.sweep()  # not started: due rows run even when they have a timer
    assert ran == 1
    assert await _status(app, first) is ActionStatus.DONE


async def test_only_steps_within_the_horizon_are_armed_and_the_sweep_arms_the_next_slice(
    app: App,
    clock: FakeClock,
) -> None:
    near = await _expiry(app, "nora", clock.now() + timedelta(hours=1))
    far = await _expiry(app, "farid", clock.now() + timedelta(days=3))
    runtime = SchedulerRuntime(app, horizon=timedelta(hours=6))
    await runtime.sync_timers()
    assert near in runtime.timers and far not in runtime.timers
    # The database stays the truth: the far step is pending, just not armed yet.
    assert await _status(app, far) is ActionStatus.PENDING
    clock.set(clock.now() + timedelta(days=3) - timedelta(hours=5))
    await runtime.sweep()  # runs the near step (now long due), arms the far one
    assert await _status(app, near) is ActionStatus.DONE
    assert far in runtime.timers and near not in runtime.timers
    assert runtime.timers[far] == clock.now() + timedelta(hours=5)
    assert far not in runtime.timers_due(clock.now())
    clock.advance(timedelta(hours=5))
    assert far in runtime.timers_due(clock.now())
    await runtime.sweep()
    assert await _status(app, far) is ActionStatus.DONE


async def test_without_a_horizon_every_pending_step_is_armed(app: App, clock: FakeClock) -> None:
    far = await _expiry(app, "farid", clock.now() + timedelta(days=30))
    runtime = SchedulerRuntime(app, horizon=None)
    await runtime.sync_timers()
    assert far in runtime.timers
    with pytest.raises(ValueError, match="horizon"):
        SchedulerRuntime(app, sweep_seconds=60, horizon=timedelta(seconds=30))
