"""The scheduler runtime: APScheduler 3.x timers in front of the stored steps.

The database is the truth: every step is a ``scheduled_actions`` row, and a timer is only a
wake-up call for it. The job store is memory only, and only rows due within the arming
horizon (six hours by default) have a timer: on :meth:`SchedulerRuntime.start` those rows get
one (job id = action id), whatever lies further ahead stays in the database. A sweep every few
seconds runs steps that are due but have no timer yet (rows written by services since the
last sweep), delivers due outbox items and arms the rows that have come within the horizon,
so nothing depends on a timer firing and a restart costs the same whatever the backlog.

Misfires are explicit: ``misfire_grace_time=None`` (a late timer still fires) with
``coalesce=True`` (a backlog fires once). Whether a late step still makes sense is the step
runner's decision: stale reminders are skipped, start/swap/end/feedback steps never are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.models import ActionStatus, Community

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "peerloop:sweep"
DEFAULT_SWEEP_SECONDS = 5.0
#: Only steps due within this horizon have an in-process timer; the sweep arms the next ones.
DEFAULT_HORIZON = timedelta(hours=6)
#: How often the sweep plans the daily housekeeping steps of communities that have none.
HOUSEKEEPING_EVERY = timedelta(hours=1)


class SchedulerRuntime:
    """Implements the core's ``JobScheduler`` port and drives the app's stored steps."""

    def __init__(
        self,
        app: App,
        *,
        sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
        concurrency: int | None = None,
        horizon: timedelta | None = DEFAULT_HORIZON,
    ) -> None:
        """``horizon``: arm timers only for steps due within it (None arms every pending step)."""
        if horizon is not None and horizon <= timedelta(seconds=sweep_seconds):
            raise ValueError("the arming horizon must be longer than the sweep interval")
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.horizon = horizon
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        #: action id -> the due time its timer was set for (what has a timer right now).
        self.timers: dict[str, datetime] = {}
        if concurrency is None:
            # SQLite has one writer: running steps one at a time avoids lock waits.
            concurrency = 1 if app.db.url.startswith("sqlite") else 4
        self._running: set[asyncio.Task[object]] = set()
        self._inflight: set[str] = set()
        self._deliverer: asyncio.Task[None] | None = None
        self._deliver_again = False
        self._closed = False
        self._gate = asyncio.Semaphore(concurrency)
        self._sweeping = asyncio.Lock()
        self.started = False
        self._housekeeping_at = datetime.min.replace(tzinfo=UTC)

    # -- the JobScheduler port ---------------------------------------------------------------

    def schedule(self, key: str, when: datetime, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` at ``when`` (at once if that has passed); replaces a timer with the same key."""
        self.scheduler.add_job(
            job,
            trigger=DateTrigger(run_date=when, timezone=UTC),
            id=key,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def cancel(self, key: str) -> None:
        try:
            self.scheduler.remove_job(key)
        except JobLookupError:
            pass
        self.timers.pop(key, None)

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> int:
        """Store a matching round for every community, set a timer per pending step due within
        the horizon, start the sweep. Returns how many timers were set."""
        async with self.app.db.uow() as tx:
            communities = await tx.communities.list()
        for community in communities:
            await self.app.matching.ensure_round_scheduled(community)
            if self.app.digests is not None:  # the weeks' digest steps (idempotent)
                await self.app.digests.ensure_planned(community)
        await self.plan_housekeeping(communities)
        # Timers added before start are queued by APScheduler and registered in one go on start.
        count = await self.sync_timers()
        self.scheduler.add_job(
            self.sweep,
            trigger=IntervalTrigger(seconds=self.sweep_seconds, timezone=UTC),
            id=SWEEP_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()
        self.started = True
        log.info("scheduler started: %d timers, sweep every %.0f s", count, self.sweep_seconds)
        return count

    async def stop(self) -> None:
        """Stop firing timers and wait for running steps; pending rows stay in the database."""
        self._closed = True
        if self.started:
            # No new firings; let the running ones finish their transaction, then shut down
            # (APScheduler's own shutdown would cancel jobs still running).
            self.scheduler.pause()
        for _ in range(10):
            running: list[asyncio.Future[object]] = [
                t for t in self._running if t is not asyncio.current_task() and not t.done()
            ]
            running += [f for f in self._executor_futures() if not f.done()]
            if not running:
                break
            await asyncio.wait(running, timeout=30)
        if self.started:
            # AsyncIOScheduler.shutdown is queued onto the loop: yield once so it has run.
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)
            self.started = False
        self.timers.clear()

    async def plan_housekeeping(self, communities: list[Community] | None = None) -> int:
        """Store each community's daily retention step (idempotent): at start, then hourly from
        the sweep, so communities that arrive while running get theirs too."""
        self._housekeeping_at = self.app.clock.now()
        if self.app.retention is None:
            return 0
        if communities is None:
            async with self.app.db.uow() as tx:
                communities = await tx.communities.list()
        return sum([await self.app.retention.ensure_planned(c) for c in communities])

    def _executor_futures(self) -> list[asyncio.Future[object]]:
        executors = getattr(self.scheduler, "_executors", {})
        return [f for ex in executors.values() for f in getattr(ex, "_pending_futures", ())]

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    # -- timers ------------------------------------------------------------------------------

    async def sync_timers(self) -> int:
        """Set a timer for every pending row due within the horizon that has none (or whose due
        time moved). Returns how many timers were set."""
        until = None if self.horizon is None else self.app.clock.now() + self.horizon
        async with self.app.db.uow() as tx:
            pending = await tx.actions.pending(until)
        added = 0
        # In due order (as the repository returns them): the memory job store keeps jobs
        # sorted, so this appends rather than inserts.
        for action_id, due in pending:
            if self.timers.get(action_id) != due:
                self._set_timer(action_id, due)
                added += 1
        return added

    def _set_timer(self, action_id: str, due: datetime) -> None:
        self.timers[action_id] = due
        self.scheduler.add_job(
            self.fire,
            trigger=DateTrigger(run_date=due, timezone=UTC),
            args=(action_id,),
            id=action_id,
            replace_existing=True,
            max_instances=4,  # a re-armed timer may fire while the last run ends
        )

    def timers_due(self, now: datetime) -> list[str]:
        """Action ids whose timer time has come (lets a test with a fake clock fire them)."""
        return [a for a, due in sorted(self.timers.items(), key=lambda kv: kv[1]) if due <= now]

    async def fire(self, action_id: str) -> None:
        """A timer went off: run the step, deliver what it queued, re-arm it if it is still pending
        (a retry with backoff, or a timer that woke a little before the clock reached its time)."""
        if self._closed:
            return
        self._track()
        self.timers.pop(action_id, None)
        self._inflight.add(action_id)
        current = None
        try:
            async with self._gate:
                if self._closed:
                    return
                try:
                    finished = await self.app.steps.run_one(action_id)
                    if not finished:
                        async with self.app.db.uow() as tx:
                            current = await tx.actions.get(action_id)
                except Exception:
                    log.exception("running step %s failed; the sweep will retry it", action_id)
                    return
        finally:
            self._inflight.discard(action_id)
        if finished:
            await self._deliver()
        elif (
            current is not None
            and current.status is ActionStatus.PENDING
            and action_id not in self.timers
        ):
            now = self.app.clock.now()
            self._set_timer(action_id, max(current.due_at, now + timedelta(milliseconds=50)))

    async def _deliver(self) -> None:
        """Deliver due outbox items: inline when driven by hand, else one background pass at a
        time (a burst of steps shares passes instead of each scanning the outbox)."""
        if not self.started:
            await self.app.delivery.deliver_due()
            return
        self._deliver_again = True
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = asyncio.get_running_loop().create_task(self._deliver_loop())

    async def _deliver_loop(self) -> None:
        self._track()
        while self._deliver_again and not self._closed:
            self._deliver_again = False
            async with self._gate:
                try:
                    await self.app.delivery.deliver_due()
                except Exception:
                    log.exception("outbox delivery failed; the sweep will try again")

    async def sweep(self) -> tuple[int, int, int]:
        """Run due steps that have no timer, deliver due outbox items, set timers for new rows.

        Returns (steps run, messages sent, timers set)."""
        if self._sweeping.locked() or self._closed:
            return 0, 0, 0
        self._track()
        async with self._sweeping:
            ran = sent = 0
            try:
                now = self.app.clock.now()
                async with self.app.db.uow() as tx:
                    due = await tx.actions.due_ids(now)
                late = now - timedelta(seconds=2 * self.sweep_seconds)
                for action_id in due:
                    armed = self.timers.get(action_id)
                    if action_id in self._inflight or self._closed:
                        continue
                    if self.started and armed is not None and armed > late:
                        continue  # its timer fires (or has just fired) on its own
                    async with self._gate:
                        if await self.app.steps.run_one(action_id):
                            ran += 1
                            if armed is not None:
                                self.cancel(action_id)  # its stale timer has nothing left to do
                async with self._gate:
                    sent = await self.app.delivery.deliver_due()
                if self.app.clock.now() - self._housekeeping_at >= HOUSEKEEPING_EVERY:
                    await self.plan_housekeeping()
                added = await self.sync_timers()
            except Exception:
                log.exception("scheduler sweep failed; trying again at the next one")
                return ran, sent, 0
            return ran, sent, added
