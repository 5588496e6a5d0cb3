"""Retention: a daily stored step per community deletes finished steps, sent messages and
round records older than RETENTION_DAYS, and nothing else (SQLite, and PostgreSQL when
PEERLOOP_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.models import ActionKind
from bot.core.services.retention import next_run
from bot.scheduling.runtime import SchedulerRuntime
from bot.settings import sqlite_url_for
from bot.storage.tables import MatchRoundRow, OutboxRow, ScheduledActionRow
from tests.conftest import T0, make_actor

A: Any = ScheduledActionRow.__table__  # type: ignore[attr-defined]
OUT: Any = OutboxRow.__table__  # type: ignore[attr-defined]
R: Any = MatchRoundRow.__table__  # type: ignore[attr-defined]


async def fill(app: App, community_id: str) -> None:
    """Rows on either side of 90 days before T0, in every status that matters."""
    old, recent = T0 - timedelta(days=91), T0 - timedelta(days=89)
    steps = [  # (id, status, finished_at, due_at)
        ("old-done", "done", old, old),
        ("old-skipped", "skipped", old, old),
        ("old-failed", "failed", old, old),
        ("old-done-unstamped", "done", None, old),
        ("old-pending", "pending", None, old),
        ("recent-done", "done", recent, old),
    ]
    messages = [
        ("old-sent", "sent", old),
        ("old-pending-msg", "pending", old),
        ("old-failed-msg", "failed", old),
        ("recent-sent", "sent", recent),
    ]
    async with app.db.engine.begin() as conn:
        await conn.execute(
            insert(A),
            [
                {
                    "id": i,
                    "key": f"test:{i}",
                    "kind": ActionKind.REMINDER.value,
                    "community_id": community_id,
                    "due_at": due,
                    "payload": {},
                    "status": status,
                    "attempts": 0,
                    "finished_at": finished,
                }
                for i, status, finished, due in steps
            ],
        )
        await conn.execute(
            insert(OUT),
            [
                {
                    "id": i,
                    "key": f"test:{i}",
                    "community_id": community_id,
                    "message": {"text": "x"},
                    "status": status,
                    "attempts": 0,
                    "created_at": when,
                    "next_attempt_at": when,
                    "private": False,
                    "fallback_used": False,
                }
                for i, status, when in messages
            ],
        )
        await conn.execute(
            insert(R),
            [
                {
                    "id": i,
                    "community_id": community_id,
                    "ran_at": when,
                    "considered": [],
                    "paired": [],
                    "left_out": [],
                }
                for i, when in (("old-round", old), ("recent-round", recent))
            ],
        )


async def test_the_daily_step_deletes_old_rows_and_plans_the_next_day(
    app: App, clock: FakeClock
) -> None:
    actor = await make_actor(app, "ada")
    cid = actor.community.id
    await fill(app, cid)
    runtime = SchedulerRuntime(app)
    assert await runtime.plan_housekeeping() == 1
    assert await runtime.plan_housekeeping() == 0  # planning again changes nothing

    due = next_run(T0)
    clock.set(due + timedelta(seconds=1))
    await app.tick()

    async with app.db.engine.connect() as conn:
        steps = {
            r.id: r.status for r in (await conn.execute(select(A.c.id, A.c.status, A.c.kind))).all()
        }
        messages = {r[0] for r in (await conn.execute(select(OUT.c.id))).all()}
        rounds = {r[0] for r in (await conn.execute(select(R.c.id))).all()}
        retention = (
            await conn.execute(
                select(A.c.key, A.c.status, A.c.due_at)
                .where(A.c.kind == ActionKind.RETENTION.value)
                .order_by(A.c.due_at)
            )
        ).all()
    assert not {"old-done", "old-skipped", "old-failed", "old-done-unstamped"} & steps.keys()
    assert {"old-pending", "recent-done"} <= steps.keys()
    assert (
        messages >= {"old-pending-msg", "old-failed-msg", "recent-sent"}
        and "old-sent" not in messages
    )
    assert rounds == {"recent-round"}
    # today's run is done, tomorrow's is stored
    assert [(r.status, r.due_at) for r in retention] == [
        ("done", due),
        ("pending", due + timedelta(days=1)),
    ]
    assert retention[1].key == f"retention:{cid}:{(due + timedelta(days=1)):%Y-%m-%d}"


async def test_zero_days_keeps_everything(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    app = await build_app(sqlite_url_for(tmp_path / "keep.sqlite3"), clock=clock, retention_days=0)
    try:
        actor = await make_actor(app, "ada")
        await fill(app, actor.community.id)
        assert await SchedulerRuntime(app).plan_housekeeping() == 0
        clock.set(T0 + timedelta(days=3))
        await app.tick()
        async with app.db.engine.connect() as conn:
            assert len((await conn.execute(select(R.c.id))).all()) == 2
            assert "old-sent" in {r[0] for r in (await conn.execute(select(OUT.c.id))).all()}
    finally:
        await app.close()


async def test_the_sweep_plans_communities_that_arrive_while_running(
    app: App, clock: FakeClock
) -> None:
    runtime = SchedulerRuntime(app)
    await runtime.plan_housekeeping()
    actor = await make_actor(app, "ada")  # a new community, after the runtime planned
    clock.advance(timedelta(hours=1, seconds=1))
    await runtime.sweep()
    async with app.db.engine.connect() as conn:
        keys = [
            r[0]
            for r in (
                await conn.execute(select(A.c.key).where(A.c.kind == ActionKind.RETENTION.value))
            ).all()
        ]
    assert keys == [f"retention:{actor.community.id}:{next_run(clock.now()):%Y-%m-%d}"]
