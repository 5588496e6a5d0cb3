"""The loops table: the migration gives the schema the tables declare, and one running loop
per member is enforced by the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.core.errors import Conflict
from bot.core.loop_models import Loop, LoopStatus
from bot.core.vocab import InterviewType, Level
from tests.conftest import T0, make_actor, schema_drift


async def test_the_migration_matches_the_tables(app: App) -> None:
    assert await schema_drift(app, "loop") == []


async def test_one_running_loop_per_member(app: App) -> None:
    alice = await make_actor(app, "alice")

    def loop(n: int, status: LoopStatus = LoopStatus.ACTIVE) -> Loop:
        return Loop(
            id=f"loop{n}",
            community_id=alice.community.id,
            member_id=alice.member.id,
            template_id="backend",
            template_name="Backend onsite",
            track="backend",
            level=Level.MID,
            rounds=(InterviewType.CODING, InterviewType.BEHAVIORAL, InterviewType.SYSTEM_DESIGN),
            starts_at=T0,
            ends_at=T0 + timedelta(days=7),
            created_at=T0,
            status=status,
        )

    async with app.db.uow() as tx:
        await tx.loops.add(loop(1))
        await tx.loops.add(loop(2, LoopStatus.CANCELLED))
        with pytest.raises(Conflict):
            await tx.loops.add(loop(3))
    async with app.db.uow() as tx:
        assert {lp.id for lp in await tx.loops.for_member(alice.member.id)} == {"loop1", "loop2"}
