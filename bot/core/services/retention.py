"""Housekeeping: a daily stored step per community deletes rows past the retention period.

What goes: finished steps (done, skipped, failed), sent messages and matching-round records
older than ``RETENTION_DAYS`` (90 by default; 0 keeps everything). What stays whatever its age:
members, requests, sessions, feedback, pending steps and messages not yet sent.

The step is a ``scheduled_actions`` row like the matching rounds and digests: keyed by its
day (``retention:<community>:<date>``), so planning it twice is a no-op, and each run stores
the next day's before it commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from bot.core.clock import Clock
from bot.core.models import ActionKind, ActionStatus, Community, ScheduledAction
from bot.core.ports import UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import new_id

log = logging.getLogger(__name__)

#: The time of day (UTC) the step runs: after most communities' evenings, before digests.
RUN_AT = time(3, 17, tzinfo=UTC)
DEFAULT_DAYS = 90


def next_run(now: datetime) -> datetime:
    """The first RUN_AT strictly after ``now``."""
    today = datetime.combine(now.astimezone(UTC).date(), RUN_AT)
    return today if today > now else today + timedelta(days=1)


class RetentionService:
    """Data retention: a daily step per community deletes rows older than the retention period."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, days: int = DEFAULT_DAYS) -> None:
        if days < 0:
            raise ValueError("retention days must be 0 (keep everything) or more")
        self._uow = uow
        self._clock = clock
        self.days = days

    async def plan(self, tx: UnitOfWork, community_id: str, now: datetime) -> int:
        """Store the community's next retention step (idempotent); 1 when it was new (none
        while retention is off)."""
        if not self.days:
            return 0
        due = next_run(now)
        return await tx.actions.add(
            ScheduledAction(
                id=new_id(),
                key=f"retention:{community_id}:{due:%Y-%m-%d}",
                kind=ActionKind.RETENTION,
                community_id=community_id,
                due_at=due,
            )
        )

    async def ensure_planned(self, community: Community) -> int:
        """Store the community's next retention step (idempotent)."""
        async with self._uow() as tx:
            return await self.plan(tx, community.id, self._clock.now())

    async def run_step(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> tuple[ActionStatus, str | None]:
        """Delete the community's rows older than the retention period, plan tomorrow's run."""
        if self.days:
            removed = await tx.retention.purge(
                action.community_id, now - timedelta(days=self.days), keep_step=action.id
            )
            if any(removed.values()):
                log.info(
                    "retention for community %s removed %s",
                    action.community_id,
                    ",".join(f"{k}={v}" for k, v in sorted(removed.items())),
                )
        await self.plan(tx, action.community_id, now)
        return ActionStatus.DONE, None
