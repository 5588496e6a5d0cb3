"""The step runner: claims a due stored step and runs its kind's handler in the same
transaction that marks it done, so a step's effects (state changes, queued messages) happen
at most once; a failed step is retried with backoff, so it happens at least once.

A step that asks a chat platform for something (a voice channel, an event) returns a
:class:`PlatformCall` instead: the runner leases the step (``CALL_LEASE``), commits, makes the
call with no transaction open, and records the answer in a second transaction if the step is
still pending under its lease. Only idempotent calls go this way (they find what an earlier try
made), since a crash mid-call means the step is tried again once the lease runs out.

Every step kind has exactly one handler (:meth:`StepRunner.handler`); the handlers that belong
to other services (a matching round, digests, retention, feedback) arrive through
:class:`StepHooks` when the runner is built, and a missing one stops the start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.core.log_context import STEP, bind, log_context
from bot.core.messages import OutboundMessage
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.models import (
    ActionKind,
    ActionStatus,
    InterviewRequest,
    Platform,
    RequestStatus,
    ScheduledAction,
)
from bot.core.ports import ChatPort, PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import new_id
from bot.core.services.friends import lapse_invitation
from bot.core.services.outbox import queue_direct
from bot.core.services.session_plan import too_late
from bot.core.services.session_steps import (
    DONE,
    FeedbackCloser,
    FeedbackOwed,
    PlatformCall,
    SessionSteps,
    StepHandler,
    StepOutcome,
    StepResult,
)
from bot.core.services.session_voice import SessionRoom

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
#: How long a step calling a platform keeps other workers off it: longer than any call takes
#: (the chat libraries give up well before), short enough that a crash mid-call is retried soon.
CALL_LEASE = timedelta(minutes=5)

#: Runs a scheduled matching round (``MatchingService.scheduled_round``).
RoundHook = Callable[[UnitOfWork, ScheduledAction, datetime], Awaitable[None]]


class StartupError(RuntimeError):
    """The object graph is incomplete: a hook or a handler is missing. Raised while building,
    never while running."""


def backoff(attempts: int) -> timedelta:
    """The wait before the next try of a step that failed ``attempts`` times so far."""
    return timedelta(seconds=min(30 * 2**attempts, 3600))


@dataclass(frozen=True)
class StepHooks:
    """What the step runner needs from the other services; every one is required."""

    #: Runs a scheduled matching round.
    run_round: RoundHook
    #: Who still owes feedback for a session (the feedback reminders go to them).
    feedback_owed: FeedbackOwed
    #: Shares the submitted feedback when a session's window closes.
    close_feedback: FeedbackCloser
    #: Runs a weekly digest step.
    run_digest: StepHandler
    #: Runs a community's daily retention step.
    run_retention: StepHandler
    #: Writes a mock loop's debrief when its span has passed.
    run_loop_debrief: StepHandler
    #: Tells a member their suspension from matching has ended (``ReportService.end_step``).
    end_suspension: StepHandler

    def __post_init__(self) -> None:
        missing = [f.name for f in fields(self) if not callable(getattr(self, f.name))]
        if missing:
            raise StartupError(f"the step runner is missing its {', '.join(missing)} hook(s)")


async def expire_request(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepOutcome:
    """A live-queue request nobody matched in time leaves the queue; its member is told."""
    req = await tx.requests.get(str(action.payload.get("request_id", "")))
    if req is not None and req.status is RequestStatus.OPEN:
        await tx.requests.save(
            InterviewRequest(**{**req.__dict__, "status": RequestStatus.EXPIRED})
        )
        await queue_direct(
            tx,
            key=f"expired:{req.id}",
            community_id=req.community_id,
            member_id=req.member_id,
            now=now,
            message=OutboundMessage(
                text=f"Nobody was free for {req.interview_type.label} in the last "
                "15 minutes, so you've left the live queue. Try `/mock schedule` to book ahead.",
                ephemeral=False,
            ),
        )
    return DONE


def step_handlers(
    hooks: StepHooks, session_steps: SessionSteps, room: SessionRoom
) -> dict[ActionKind, StepHandler]:
    """The registry: every step kind to the one handler that runs it."""

    async def match_round(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepOutcome:
        await hooks.run_round(tx, action, now)
        return DONE

    return {
        ActionKind.MATCH_ROUND: match_round,
        ActionKind.EXPIRE_REQUEST: expire_request,
        ActionKind.DIGEST: hooks.run_digest,
        ActionKind.RETENTION: hooks.run_retention,
        ActionKind.FRIEND_LAPSE: lapse_invitation,
        ActionKind.LOOP_DEBRIEF: hooks.run_loop_debrief,
        ActionKind.SUSPENSION_END: hooks.end_suspension,
        **session_steps.handlers(),
        **room.handlers(),
    }


class StepRunner:
    """Runs due scheduled steps: each claimed and marked done in one transaction."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        prompts: PromptSource,
        hooks: StepHooks,
        *,
        metrics: Metrics = NO_METRICS,
        chats: Mapping[Platform, ChatPort] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.hooks = hooks
        self.metrics = metrics
        #: The handlers of a booked session's steps.
        self.session_steps = SessionSteps(prompts, hooks.feedback_owed, hooks.close_feedback)
        #: A session's voice channel and scheduled event, through the running faces' chat ports.
        self.room = SessionRoom(chats if chats is not None else {})
        self._handlers: Mapping[ActionKind, StepHandler] = step_handlers(
            hooks, self.session_steps, self.room
        )
        unhandled = [kind.value for kind in ActionKind if kind not in self._handlers]
        if unhandled:
            raise StartupError(f"no step handler for {', '.join(unhandled)}")

    def handler(self, kind: ActionKind) -> StepHandler:
        """The handler that runs steps of ``kind``."""
        return self._handlers[kind]

    async def run_due(self) -> int:
        """Run every step due now; returns how many ran (done or skipped)."""
        now = self._clock.now()
        async with self._uow() as tx:
            ids = await tx.actions.due_ids(now)
        ran = 0
        for action_id in ids:
            if await self.run_one(action_id):
                ran += 1
        return ran

    async def run_one(self, action_id: str) -> bool:
        """Claim and run one step if it is still pending and due; True when it ran (done or skipped).
        A failure leaves it pending for a retry with backoff, or failed after ``MAX_ATTEMPTS``.
        Its log lines carry a request id of their own and the step's community."""
        with log_context(STEP, fresh=True):
            return await self._run_one(action_id)

    async def _run_one(self, action_id: str) -> bool:
        now = self._clock.now()
        try:
            async with self._uow() as tx:
                # A session's steps lock the session first, then claim the step: a worker that
                # finds a step's session busy waits for it, then sees what the other wrote (its
                # start done, so the swap or end runs now instead of failing "not started" and
                # waiting for a retry), and the order (session, then step) is the one a
                # reschedule or an early start takes, so the two never deadlock.
                peek = await tx.actions.get(action_id)
                if peek is None or peek.status is not ActionStatus.PENDING or peek.due_at > now:
                    return False
                if peek.session_id is not None:
                    await tx.sessions.get_for_update(peek.session_id)
                action = await tx.actions.claim(action_id, now)
                if action is None or action.due_at > now:
                    return False
                bind(community=action.community_id)
                result = await self._execute(tx, action, now)
                if isinstance(result, PlatformCall):
                    token = new_id()
                    await tx.actions.lease(action.id, token, now + CALL_LEASE)
                else:
                    await self._finish(tx, action, result, now)
            if isinstance(result, PlatformCall):
                # The lease is committed: no other worker claims the step while the platform
                # answers, and no transaction is open meanwhile.
                answer = await result.call()
                if not await self._record(action, token, result, answer, now):
                    return False
            return True
        except Exception as exc:
            async with self._uow() as tx:
                current = await tx.actions.get(action_id)
                if current is None or current.status is not ActionStatus.PENDING:
                    return False
                if current.attempts + 1 >= MAX_ATTEMPTS:
                    await tx.actions.finish(
                        action_id, ActionStatus.FAILED, now, f"gave up: {exc!r}"
                    )
                    log.error(
                        "gave up on step %s after %d attempts: %r",
                        current.key,
                        current.attempts + 1,
                        exc,
                    )
                    self.metrics.step_finished(
                        current.kind.value, "failed", (now - current.due_at).total_seconds()
                    )
                else:
                    await tx.actions.retry_later(
                        action_id, now + backoff(current.attempts), repr(exc)
                    )
                    log.warning(
                        "step %s failed (attempt %d), retrying: %r",
                        current.key,
                        current.attempts + 1,
                        exc,
                    )
                    self.metrics.step_finished(
                        current.kind.value, "retried", (now - current.due_at).total_seconds()
                    )
            return False

    async def _finish(
        self, tx: UnitOfWork, action: ScheduledAction, outcome: StepOutcome, now: datetime
    ) -> None:
        status, note = outcome
        await tx.actions.finish(action.id, status, now, note)
        if status is ActionStatus.SKIPPED:
            log.info("skipped %s %s: %s", action.kind.value, action.key, note)
        self.metrics.step_finished(
            action.kind.value, status.value, (now - action.due_at).total_seconds()
        )

    async def _record(
        self,
        action: ScheduledAction,
        token: str,
        call: PlatformCall[Any],
        answer: object,
        now: datetime,
    ) -> bool:
        """Record a platform call's answer in a new transaction (the session locked first, as
        when the step was claimed); True when the step was still this runner's to finish."""
        async with self._uow() as tx:
            if action.session_id is not None:
                await tx.sessions.get_for_update(action.session_id)
            mine = await tx.actions.reclaim(action.id, token)
            outcome = await call.record(tx, answer, mine is not None)
            if mine is None:
                log.info("step %s changed while it called the platform", action.key)
                return False
            await self._finish(tx, action, outcome, now)
        return True

    async def _execute(self, tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepResult:
        late = too_late(action, now)
        if late is not None:
            return (
                ActionStatus.SKIPPED,
                f"too late to be useful ({int(late.total_seconds() // 60)} min late)",
            )
        return await self.handler(action.kind)(tx, action, now)
