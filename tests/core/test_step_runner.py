"""The step runner's registry: one handler per step kind, every hook given at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.models import ActionKind, ActionStatus, ScheduledAction, Session
from bot.core.ports import UnitOfWork
from bot.core.services import step_runner
from bot.core.services.actor import new_id
from bot.core.services.session_steps import PlatformCall, StepOutcome, StepResult
from bot.core.services.step_runner import StartupError, StepHooks, StepRunner
from tests.conftest import make_actor


class RecordingHooks:
    """Hooks that note which step reached them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def run_round(self, tx: UnitOfWork, action: ScheduledAction, now: datetime) -> None:
        self.calls.append(("round", action.id))

    async def feedback_owed(self, tx: UnitOfWork, session: Session) -> Sequence[str]:
        return list(session.member_ids)

    async def close_feedback(self, tx: UnitOfWork, session: Session, now: datetime) -> None:
        self.calls.append(("close", session.id))

    async def run_digest(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> tuple[ActionStatus, None]:
        self.calls.append(("digest", action.id))
        return ActionStatus.DONE, None

    async def run_retention(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> tuple[ActionStatus, str]:
        self.calls.append(("retention", action.id))
        return ActionStatus.SKIPPED, "kept everything"

    async def end_suspension(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> tuple[ActionStatus, None]:
        self.calls.append(("suspension", action.id))
        return ActionStatus.DONE, None

    def hooks(self, **replace: Any) -> StepHooks:
        given: dict[str, Any] = {
            "run_round": self.run_round,
            "feedback_owed": self.feedback_owed,
            "close_feedback": self.close_feedback,
            "run_digest": self.run_digest,
            "run_retention": self.run_retention,
            "run_loop_debrief": self.run_retention,
            "end_suspension": self.end_suspension,
        }
        return StepHooks(**{**given, **replace})


def test_every_step_kind_has_its_own_handler(app: App) -> None:
    handlers = {kind: app.steps.handler(kind) for kind in ActionKind}
    assert set(handlers) == set(ActionKind)
    assert all(callable(h) for h in handlers.values())
    # One handler per kind: no kind falls through to another kind's handler.
    assert len({id(h) for h in handlers.values()}) == len(ActionKind)


@pytest.mark.parametrize(
    "name",
    [
        "run_round",
        "feedback_owed",
        "close_feedback",
        "run_digest",
        "run_retention",
        "run_loop_debrief",
        "end_suspension",
    ],
)
def test_a_missing_hook_stops_the_start_and_names_it(name: str) -> None:
    with pytest.raises(StartupError, match=name):
        RecordingHooks().hooks(**{name: None})


def test_a_step_kind_without_a_handler_stops_the_start(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete = step_runner.step_handlers

    def without_digest(*args: Any) -> dict[ActionKind, Any]:
        handlers = complete(*args)
        del handlers[ActionKind.DIGEST]
        return handlers

    monkeypatch.setattr(step_runner, "step_handlers", without_digest)
    with pytest.raises(StartupError, match="no step handler for digest"):
        StepRunner(app.db.uow, app.clock, app.prompts, RecordingHooks().hooks())


async def test_each_kind_reaches_its_hook_and_its_outcome_is_stored(
    app: App, clock: FakeClock
) -> None:
    recorder = RecordingHooks()
    runner = StepRunner(app.db.uow, clock, app.prompts, recorder.hooks())
    actor = await make_actor(app, "ann")
    ids = {
        kind: new_id() for kind in (ActionKind.MATCH_ROUND, ActionKind.DIGEST, ActionKind.RETENTION)
    }
    async with app.db.uow() as tx:
        for kind, action_id in ids.items():
            await tx.actions.add(
                ScheduledAction(
                    id=action_id,
                    key=f"test:{kind.value}",
                    kind=kind,
                    community_id=actor.community.id,
                    due_at=clock.now(),
                )
            )
    clock.advance(timedelta(seconds=1))
    assert await runner.run_due() == 3
    assert sorted(recorder.calls) == sorted(
        [
            ("round", ids[ActionKind.MATCH_ROUND]),
            ("digest", ids[ActionKind.DIGEST]),
            ("retention", ids[ActionKind.RETENTION]),
        ]
    )
    async with app.db.uow() as tx:
        stored = {kind: await tx.actions.get(action_id) for kind, action_id in ids.items()}
    statuses = {kind: (a.status, a.last_error) for kind, a in stored.items() if a is not None}
    assert statuses == {
        ActionKind.MATCH_ROUND: (ActionStatus.DONE, None),
        ActionKind.DIGEST: (ActionStatus.DONE, None),
        ActionKind.RETENTION: (ActionStatus.SKIPPED, "kept everything"),
    }


# ----------------------------------------------------------- steps that call a platform


async def digest_step(app: App, clock: FakeClock) -> str:
    """A due digest step (its hook is the test's), returning its id."""
    actor = await make_actor(app, "ann")
    action_id = new_id()
    async with app.db.uow() as tx:
        await tx.actions.add(
            ScheduledAction(
                id=action_id,
                key="test:digest-call",
                kind=ActionKind.DIGEST,
                community_id=actor.community.id,
                due_at=clock.now(),
            )
        )
    return action_id


async def stored_step(app: App, action_id: str) -> ScheduledAction:
    async with app.db.uow() as tx:
        found = await tx.actions.get(action_id)
    assert found is not None
    return found


async def test_a_platform_call_runs_with_no_transaction_open_under_a_lease(
    app: App, clock: FakeClock
) -> None:
    """The handler's call is made after its transaction committed: meanwhile the step is
    still pending but leased (a second worker does not take it), and other writes go through;
    then the answer is recorded and the step finished, once."""
    action_id = await digest_step(app, clock)
    recorded: list[tuple[object, bool]] = []
    asking, answer = asyncio.Event(), asyncio.Event()

    async def call() -> str:
        asking.set()
        await answer.wait()
        return "made"

    async def record(tx: UnitOfWork, made: str, mine: bool) -> StepOutcome:
        recorded.append((made, mine))
        return ActionStatus.DONE, None

    async def digest(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepResult:
        return PlatformCall(call, record)

    runner = StepRunner(app.db.uow, clock, app.prompts, RecordingHooks().hooks(run_digest=digest))
    first = asyncio.create_task(runner.run_one(action_id))
    await asyncio.wait_for(asking.wait(), 5)
    assert (await stored_step(app, action_id)).status is ActionStatus.PENDING
    other = StepRunner(app.db.uow, clock, app.prompts, RecordingHooks().hooks(run_digest=digest))
    assert not await asyncio.wait_for(other.run_one(action_id), 5)  # leased: not taken
    await asyncio.wait_for(make_actor(app, "bo"), 5)  # a write meanwhile is not held up
    answer.set()
    assert await first
    assert recorded == [("made", True)]
    assert (await stored_step(app, action_id)).status is ActionStatus.DONE


async def test_a_failed_platform_call_is_retried_with_backoff_and_its_lease_given_back(
    app: App, clock: FakeClock
) -> None:
    action_id = await digest_step(app, clock)
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the platform did not answer")

    async def record(tx: UnitOfWork, answer: None, mine: bool) -> StepOutcome:
        return ActionStatus.DONE, None

    async def digest(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepResult:
        return PlatformCall(call, record)

    runner = StepRunner(app.db.uow, clock, app.prompts, RecordingHooks().hooks(run_digest=digest))
    assert not await runner.run_one(action_id)
    failed = await stored_step(app, action_id)
    assert failed.status is ActionStatus.PENDING and failed.attempts == 1
    assert "did not answer" in (failed.last_error or "")
    assert failed.due_at == clock.now() + step_runner.backoff(0)
    # The retry is not kept off by the failed try's lease: it runs when due.
    clock.set(failed.due_at)
    assert await runner.run_one(action_id) and calls == 2
    assert (await stored_step(app, action_id)).status is ActionStatus.DONE


async def test_a_step_cancelled_during_its_platform_call_is_left_as_cancelled(
    app: App, clock: FakeClock
) -> None:
    action_id = await digest_step(app, clock)
    recorded: list[bool] = []

    async def call() -> None:
        async with app.db.uow() as tx:  # another writer settles the step meanwhile
            await tx.actions.finish(action_id, ActionStatus.SKIPPED, clock.now(), "called off")

    async def record(tx: UnitOfWork, answer: None, mine: bool) -> StepOutcome:
        recorded.append(mine)
        return ActionStatus.DONE, None

    async def digest(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepResult:
        return PlatformCall(call, record)

    runner = StepRunner(app.db.uow, clock, app.prompts, RecordingHooks().hooks(run_digest=digest))
    assert not await runner.run_one(action_id)
    assert recorded == [False]  # told, so it keeps nothing no longer wanted
    after = await stored_step(app, action_id)
    assert after.status is ActionStatus.SKIPPED and after.last_error == "called off"
