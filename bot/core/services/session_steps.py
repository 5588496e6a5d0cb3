"""What each stored step of a booked session does when it runs: reminder, start, swap,
no-show check, end, feedback reminder, feedback close. One handler per step kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.core.messages import OutboundMessage
from bot.core.models import ActionKind, ActionStatus, Member, ScheduledAction, Session, SessionState
from bot.core.packs import community_prompts
from bot.core.ports import PromptSource, UnitOfWork
from bot.core.services import session_text as say
from bot.core.services.feedback_forms import window_end
from bot.core.services.outbox import queue_direct, queue_session_post
from bot.core.services.session_plan import (
    FEEDBACK_REMINDERS,
    PRE_START_STATES,
    REMINDER_GRACE,
    roles_for_part,
    session_step,
)

T = TypeVar("T")

#: What a step ended as, and a note (why it was skipped, or how late it ran).
StepOutcome = tuple[ActionStatus, str | None]
DONE: StepOutcome = (ActionStatus.DONE, None)


@dataclass(frozen=True)
class PlatformCall(Generic[T]):
    """A step's request to a chat platform, made outside any transaction.

    The handler decides the call in the step's transaction and returns this; the runner leases
    the step, commits, awaits ``call()`` with no transaction open (so SQLite's write lock is not
    held across the platform's round trip, however slow or rate-limited), then runs ``record``
    in a second transaction with the answer. ``mine`` says whether the step is still pending
    under the runner's lease (False when it was cancelled meanwhile, say because the session
    was called off): ``record`` then keeps nothing the platform made that is no longer wanted,
    and the step is left as the other writer left it. An exception from ``call`` is a failure
    like any other: the step is retried with backoff."""

    call: Callable[[], Awaitable[T]]
    record: Callable[[UnitOfWork, T, bool], Awaitable[StepOutcome]]


#: What a handler returns: the outcome, or a platform call to make before the outcome is known.
StepResult = StepOutcome | PlatformCall[Any]
#: Runs one claimed step inside the transaction that marks it finished (or that leases it, for a
#: step that calls a platform).
StepHandler = Callable[[UnitOfWork, ScheduledAction, datetime], Awaitable[StepResult]]
#: Who still owes feedback for a session.
FeedbackOwed = Callable[[UnitOfWork, Session], Awaitable[Sequence[str]]]
#: What happens when a session's feedback window closes.
FeedbackCloser = Callable[[UnitOfWork, Session, datetime], Awaitable[None]]


@dataclass(frozen=True)
class SessionStep:
    """A claimed session step with its session (locked for this transaction) and both members."""

    tx: UnitOfWork
    action: ScheduledAction
    session: Session
    members: dict[str, Member]
    now: datetime

    async def post(self, key: str, message: OutboundMessage) -> None:
        """Queue a message in the pair's space."""
        await queue_session_post(self.tx, self.session, key=key, message=message, now=self.now)


SessionStepHandler = Callable[[SessionStep], Awaitable[StepResult]]


def _skipped(session: Session) -> StepOutcome:
    return ActionStatus.SKIPPED, f"session {session.state.value}"


def _require_started(session: Session) -> None:
    """A step after the start (swap, no-show check, end) waits for the start: another worker
    may be running it right now, so the step is retried shortly rather than skipped."""
    if session.state in PRE_START_STATES:
        raise RuntimeError("the session's start has not run yet")


class SessionSteps:
    """The handlers of a booked session's steps (``handlers()``: step kind to handler)."""

    def __init__(
        self, prompts: PromptSource, feedback_owed: FeedbackOwed, close_feedback: FeedbackCloser
    ) -> None:
        self._prompts = prompts
        self.feedback_owed = feedback_owed
        self.close_feedback = close_feedback

    def handlers(self) -> dict[ActionKind, StepHandler]:
        """One handler per session step kind, each loading the session and its members first."""
        by_kind: dict[ActionKind, SessionStepHandler] = {
            ActionKind.REMINDER: self.reminder,
            ActionKind.START: self.start,
            ActionKind.SWAP: self.swap,
            ActionKind.NOSHOW_CHECK: self.noshow_check,
            ActionKind.END: self.end,
            ActionKind.FEEDBACK_REMINDER: self.feedback_reminder,
            ActionKind.FEEDBACK_CLOSE: self.feedback_close,
        }
        return {kind: with_session(handler) for kind, handler in by_kind.items()}

    async def reminder(self, step: SessionStep) -> StepOutcome:
        """A reminder before the start (skipped once the session is no longer pending)."""
        session = step.session
        if session.state not in PRE_START_STATES:
            return _skipped(session)
        minutes = int(str(step.action.payload.get("minutes", 0)))
        await step.post(f"{step.action.key}:msg", say.reminder(session, step.members, minutes))
        return DONE

    async def start(self, step: SessionStep) -> StepOutcome:
        """The start: the session is in progress; part one's statement and guide go out."""
        session, now, action = step.session, step.now, step.action
        if session.state not in PRE_START_STATES:
            return _skipped(session)
        await step.tx.sessions.save(
            Session(**{**session.__dict__, "state": SessionState.IN_PROGRESS})
        )
        await self._send_part(step, 1)
        late = now - action.due_at
        return ActionStatus.DONE, (
            f"started {int(late.total_seconds() // 60)} min late" if late > REMINDER_GRACE else None
        )

    async def swap(self, step: SessionStep) -> StepOutcome:
        """Half time in a swap: part two's statement and guide go out."""
        _require_started(step.session)
        if step.session.state is not SessionState.IN_PROGRESS:
            return _skipped(step.session)
        await self._send_part(step, 2)
        return DONE

    async def noshow_check(self, step: SessionStep) -> StepOutcome:
        """Ten minutes in: ask whether everyone is here."""
        _require_started(step.session)
        if step.session.state is not SessionState.IN_PROGRESS:
            return _skipped(step.session)
        await step.post(f"{step.action.key}:msg", say.noshow_check(step.session))
        return DONE

    async def end(self, step: SessionStep) -> StepOutcome:
        """The end: the session is completed (unless a no-show was reported) and the feedback
        forms go out."""
        session = step.session
        _require_started(session)
        if session.state is not SessionState.IN_PROGRESS:
            return _skipped(session)
        end = session.start + timedelta(minutes=session.minutes)
        await complete_session(step.tx, session, step.members, step.now, step.action.key, end)
        return DONE

    async def feedback_reminder(self, step: SessionStep) -> StepOutcome:
        """A reminder to members who still owe feedback (never after the window closed)."""
        session, now = step.session, step.now
        closes = window_end(session)
        if now >= closes:
            return ActionStatus.SKIPPED, "the feedback window has closed"
        for member_id in await self.feedback_owed(step.tx, session):
            partner = step.members[session.partner_of(member_id)]
            await queue_direct(
                step.tx,
                key=f"{step.action.key}:{member_id}",
                community_id=session.community_id,
                member_id=member_id,
                now=now,
                session_id=session.id,
                message=say.feedback_request(session, partner, closes, reminder=True),
            )
        return DONE

    async def feedback_close(self, step: SessionStep) -> StepOutcome:
        """The feedback window closed: whatever was submitted is revealed."""
        await self.close_feedback(step.tx, step.session, step.now)
        return DONE

    async def _send_part(self, step: SessionStep, part: int) -> None:
        """Post part ``part``'s problem statement in the pair space and send the interviewer their guide."""
        session, tx, key, now = step.session, step.tx, step.action.key, step.now
        interviewer, candidate = roles_for_part(session, part)
        if part > len(session.prompt_ids):
            raise RuntimeError(f"session {session.id} has no prompt for part {part}")
        prompts = await community_prompts(self._prompts, tx, session.community_id)
        prompt = prompts.get(session.prompt_ids[part - 1])
        rubric = prompts.rubric(prompt.rubric)
        reason = (
            session.prompt_reasons[part - 1] if part - 1 < len(session.prompt_reasons) else None
        )
        await step.post(
            f"{key}:statement",
            say.part_started(session, step.members, part, prompt, interviewer, candidate),
        )
        pages = say.interviewer_guide_pages(prompt, rubric, step.members[candidate].level, reason)
        for number, page in enumerate(pages, 1):
            await queue_direct(
                tx,
                key=f"{key}:guide" + (f":{number}" if number > 1 else ""),
                community_id=session.community_id,
                member_id=interviewer,
                now=now,
                private=True,
                session_id=session.id,
                message=page,
            )


async def complete_session(
    tx: UnitOfWork,
    session: Session,
    members: dict[str, Member],
    now: datetime,
    key: str,
    ended_at: datetime,
) -> Session:
    """Complete an in-progress session that ended at ``ended_at``: the feedback forms go out
    (keyed by ``key``), with their reminders after ``ended_at`` and the window's close. At the
    planned end (the end step) or earlier (both pressed "We're done", an admin ended it); a
    session completed after its window closed asks for no feedback."""
    done = Session(**{**session.__dict__, "state": SessionState.COMPLETED})
    await tx.sessions.save(done)
    closes = window_end(session)
    if now < closes:
        for member_id in session.member_ids:
            partner = members[session.partner_of(member_id)]
            await queue_direct(
                tx,
                key=f"{key}:feedback:{member_id}",
                community_id=session.community_id,
                member_id=member_id,
                now=now,
                session_id=session.id,
                message=say.feedback_request(session, partner, closes),
            )
        for i, delay in enumerate(FEEDBACK_REMINDERS, 1):
            await tx.actions.add(
                session_step(
                    session,
                    f"feedback-reminder-{i}",
                    ActionKind.FEEDBACK_REMINDER,
                    ended_at + delay,
                )
            )
    await tx.actions.add(session_step(session, "feedback-close", ActionKind.FEEDBACK_CLOSE, closes))
    return done


def with_session(handler: SessionStepHandler) -> StepHandler:
    """A step handler that locks the step's session and loads its members, then runs ``handler``;
    a step whose session or a member is gone is skipped."""

    async def run(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepResult:
        if action.session_id is None:
            return ActionStatus.SKIPPED, "no session"
        session = await tx.sessions.get_for_update(action.session_id)
        if session is None:
            return ActionStatus.SKIPPED, "session gone"
        members = await tx.members.get_many(session.member_ids)
        if len(members) < 2:
            return ActionStatus.SKIPPED, "a member left"
        return await handler(SessionStep(tx, action, session, members, now))

    return run
