"""The step runner's registry: one handler per step kind, every hook given at start-up."""

from __future__ import annotations

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
