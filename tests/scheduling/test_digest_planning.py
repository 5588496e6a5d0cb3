"""The runtime plans each community's digest steps on start; a second start stores nothing new."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.models import ActionKind, ActionStatus
from bot.core.vocab import InterviewType, Level
from bot.scheduling import SchedulerRuntime
from tests.conftest import make_actor


async def _digest_steps(app: App) -> list[tuple[str, datetime]]:
    async with app.db.uow() as tx:
        rows = await tx.actions.by_kind(ActionKind.DIGEST)
    return sorted((a.key, a.due_at) for a in rows if a.status is ActionStatus.PENDING)


async def test_start_plans_digests_once_and_arms_the_near_ones(app: App, clock: FakeClock) -> None:
    actor = await make_actor(app, "ann")
    await app.profiles.set_profile(
        actor,
        timezone="Asia/Kolkata",
        track="backend",
        level=Level.MID,
        interview_types=(InterviewType.CODING,),
    )
    # Sunday 23:00 UTC: Kolkata's Monday 09:00 (03:30 UTC) is four and a half hours away.
    clock.set(datetime(2026, 12, 6, 23, 0, tzinfo=UTC))
    assert await _digest_steps(app) == []
    for _ in range(2):  # a restart finds the rows and adds none
        runtime = SchedulerRuntime(app, sweep_seconds=3600)
        await runtime.start()
        steps = await _digest_steps(app)
        await runtime.stop()
    assert len(steps) == len({key for key, _ in steps})
    dues = {due for _, due in steps}
    kolkata = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    assert (
        kolkata in dues and datetime(2026, 12, 7, 9, 0, tzinfo=UTC) in dues
    )  # and the community digest
    runtime = SchedulerRuntime(app, sweep_seconds=3600)
    await runtime.start()
    try:
        async with app.db.uow() as tx:
            ids = {a.id for a in await tx.actions.by_kind(ActionKind.DIGEST) if a.due_at == kolkata}
        assert ids and ids <= set(runtime.timers)
    finally:
        await runtime.stop()
