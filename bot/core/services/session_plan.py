"""A booked session's timeline: which stored steps it has, their keys, and when they are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.models import (
    ActionKind,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.ports import UnitOfWork
from bot.core.services.actor import new_id

NOSHOW_AFTER = timedelta(minutes=10)
FEEDBACK_REMINDERS = (timedelta(hours=2), timedelta(hours=24))
#: A reminder (any kind: ``ActionKind.skippable``) later than this after the time it was planned
#: for is skipped (and logged); other steps never are.
REMINDER_GRACE = timedelta(minutes=5)
#: The payload entry that keeps the time a reminder was planned for: a retry moves ``due_at``.
PLANNED_AT = "planned_at"
PRE_START_STATES = (SessionState.PROPOSED, SessionState.CONFIRMED)


def action_key(session_id: str, name: str) -> str:
    """The deterministic key of a session's step: storing the same step twice is a no-op."""
    return f"session:{session_id}:{name}"


def session_step(
    session: Session,
    name: str,
    kind: ActionKind,
    due: datetime,
    payload: dict[str, object] | None = None,
) -> ScheduledAction:
    """One stored step of a session; a reminder keeps the time it is meant for."""
    data = dict(payload or {})
    if kind.skippable:
        data[PLANNED_AT] = due.isoformat()
    return ScheduledAction(
        id=new_id(),
        key=action_key(session.id, name),
        kind=kind,
        community_id=session.community_id,
        due_at=due,
        session_id=session.id,
        payload=data,
    )


def planned_time(action: ScheduledAction) -> datetime:
    """When the step was meant to run (``due_at`` moves on each retry; a reminder's plan does not)."""
    raw = action.payload.get(PLANNED_AT)
    return datetime.fromisoformat(raw) if isinstance(raw, str) else action.due_at


def too_late(action: ScheduledAction, now: datetime) -> timedelta | None:
    """How late a reminder is when it is too late to be useful (one rule for every reminder kind)."""
    late = now - planned_time(action)
    return late if action.kind.skippable and late > REMINDER_GRACE else None


async def schedule_session_steps(
    tx: UnitOfWork, session: Session, reminders: Sequence[int], now: datetime
) -> None:
    """Store every step of a booked session (idempotent: keys are deterministic)."""
    await tx.actions.add_many(session_steps(session, reminders, now))


def session_steps(
    session: Session, reminders: Sequence[int], now: datetime
) -> list[ScheduledAction]:
    """Every step of a booked session: reminders still ahead, start, swap, no-show check, end."""
    steps: list[tuple[str, ActionKind, datetime, dict[str, object]]] = []
    for minutes in reminders:
        due = session.start - timedelta(minutes=minutes)
        if due > now:
            steps.append(
                (
                    f"reminder-{minutes}-{session.sequence}",
                    ActionKind.REMINDER,
                    due,
                    {"minutes": minutes},
                )
            )
    steps.append((f"start-{session.sequence}", ActionKind.START, session.start, {}))
    if session.swap:
        steps.append(
            (
                f"swap-{session.sequence}",
                ActionKind.SWAP,
                session.start + timedelta(minutes=session.minutes // 2),
                {},
            )
        )
    steps.append(
        (f"noshow-{session.sequence}", ActionKind.NOSHOW_CHECK, session.start + NOSHOW_AFTER, {})
    )
    steps.append(
        (
            f"end-{session.sequence}",
            ActionKind.END,
            session.start + timedelta(minutes=session.minutes),
            {},
        )
    )
    return [session_step(session, name, kind, due, payload) for name, kind, due, payload in steps]


def roles_for_part(session: Session, part: int) -> tuple[str, str]:
    """Part ``part``'s (interviewer, candidate): the second part swaps the roles."""
    if part == 1:
        return session.interviewer_id, session.candidate_id
    return session.candidate_id, session.interviewer_id
