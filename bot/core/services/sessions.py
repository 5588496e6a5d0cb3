"""The scheduled life of a mock interview: booking, reminders, start, swap, end, no-shows.

Every step is a :class:`ScheduledAction` row before it is a timer. :class:`StepRunner`
claims a due step and runs it in the same transaction that marks it done, so a step's
effects (state changes, queued messages) happen at most once; a failed step is retried
with backoff, so it happens at least once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import invites
from bot.core.actions import Action, encode
from bot.core.availability import candidate_starts
from bot.core.clock import Clock
from bot.core.errors import Conflict, NotFound, PermissionDenied
from bot.core.mentions import mention, mentioning
from bot.core.messages import (
    Attachment,
    Button,
    ButtonStyle,
    Carrier,
    Field,
    FormValues,
    OutboundMessage,
    Tone,
    ts,
)
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.models import (
    ActionKind,
    ActionStatus,
    InterviewRequest,
    Member,
    NoShowReport,
    RequestStatus,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.packs import community_prompts, prompts_for
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services import session_text as say
from bot.core.services.actor import Actor, new_id
from bot.core.services.feedback import window_end
from bot.core.services.outbox import queue_direct, queue_space, session_space

log = logging.getLogger(__name__)

NOSHOW_AFTER = timedelta(minutes=10)
FEEDBACK_REMINDERS = (timedelta(hours=2), timedelta(hours=24))
#: A reminder (any kind: ``ActionKind.skippable``) later than this after the time it was planned
#: for is skipped (and logged); other steps never are.
REMINDER_GRACE = timedelta(minutes=5)
#: The payload entry that keeps the time a reminder was planned for: a retry moves ``due_at``.
PLANNED_AT = "planned_at"
MAX_ATTEMPTS = 8
PRE_START_STATES = (SessionState.PROPOSED, SessionState.CONFIRMED)
#: A rescheduled session starts at least this far ahead, within this many days.
RESCHEDULE_LEAD = timedelta(minutes=30)
RESCHEDULE_WITHIN = timedelta(days=14)
#: The second argument of ``session.reschedule`` that asks for a priority rematch instead.
REMATCH = "rematch"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


def action_key(session_id: str, name: str) -> str:
    return f"session:{session_id}:{name}"


def session_step(session: Session, name: str, kind: ActionKind, due: datetime,
                 payload: dict[str, object] | None = None) -> ScheduledAction:
    """One stored step of a session; a reminder keeps the time it is meant for."""
    data = dict(payload or {})
    if kind.skippable:
        data[PLANNED_AT] = due.isoformat()
    return ScheduledAction(id=new_id(), key=action_key(session.id, name), kind=kind,
                           community_id=session.community_id, due_at=due, session_id=session.id, payload=data)


def planned_time(action: ScheduledAction) -> datetime:
    """When the step was meant to run (``due_at`` moves on each retry; a reminder's plan does not)."""
    raw = action.payload.get(PLANNED_AT)
    return datetime.fromisoformat(raw) if isinstance(raw, str) else action.due_at


def too_late(action: ScheduledAction, now: datetime) -> timedelta | None:
    """How late a reminder is when it is too late to be useful (one rule for every reminder kind)."""
    late = now - planned_time(action)
    return late if action.kind.skippable and late > REMINDER_GRACE else None


async def schedule_session_steps(tx: UnitOfWork, session: Session, reminders: Sequence[int], now: datetime) -> None:
    """Store every step of a booked session (idempotent: keys are deterministic)."""
    steps: list[tuple[str, ActionKind, datetime, dict[str, object]]] = []
    for minutes in reminders:
        due = session.start - timedelta(minutes=minutes)
        if due > now:
            steps.append((f"reminder-{minutes}-{session.sequence}", ActionKind.REMINDER, due, {"minutes": minutes}))
    steps.append((f"start-{session.sequence}", ActionKind.START, session.start, {}))
    if session.swap:
        steps.append((f"swap-{session.sequence}", ActionKind.SWAP, session.start + timedelta(minutes=session.minutes // 2), {}))
    steps.append((f"noshow-{session.sequence}", ActionKind.NOSHOW_CHECK, session.start + NOSHOW_AFTER, {}))
    steps.append((f"end-{session.sequence}", ActionKind.END, session.start + timedelta(minutes=session.minutes), {}))
    await tx.actions.add_many([session_step(session, name, kind, due, payload) for name, kind, due, payload in steps])


def invite_for(session: Session, members: dict[str, Member], now: datetime, *, cancelled: bool = False) -> bytes:
    """The session's calendar event: its UID comes from the session id, so every version of
    it (booked, moved, cancelled) updates the same event; ``session.sequence`` orders them."""
    a, b = members[session.interviewer_id], members[session.candidate_id]
    return invites.session_invite(
        session_id=session.id,
        summary=f"PeerLoop mock interview: {session.interview_type.label} ({a.display_name} & {b.display_name})",
        description="Your PeerLoop practice session. Join your pair space a minute early.",
        start=session.start,
        minutes=session.minutes,
        sequence=session.sequence,
        stamp=now,
        cancelled=cancelled,
    )


class SessionService:
    """What members do to a session: confirm, reschedule, cancel, report a no-show, open the guide."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, prompts: PromptSource) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts

    async def _load(self, tx: UnitOfWork, actor: Actor, session_id: str) -> tuple[Session, dict[str, Member]]:
        session = await tx.sessions.get_for_update(session_id)
        if session is None:
            raise NotFound("That session does not exist any more.")
        if actor.member.id not in session.member_ids:
            raise PermissionDenied("That session is not yours: only its two members can act on it.")
        members = await tx.members.get_many(session.member_ids)
        return session, members

    async def confirm(self, actor: Actor, session_id: str) -> OutboundMessage:
        now = self._clock.now()
        async with self._uow() as tx:
            session, _members = await self._load(tx, actor, session_id)
            if session.state not in PRE_START_STATES:
                state = session.state.value.replace('_', ' ')
                return OutboundMessage(text=f"This session is already {state}.",
                                       carrier=Carrier(f"This session is {state}."))
            if actor.member.id in session.confirmed_by:
                return OutboundMessage(text="You have already confirmed. See you there!")
            confirmed = (*session.confirmed_by, actor.member.id)
            both = set(confirmed) == set(session.member_ids)
            updated = Session(**{**session.__dict__, "confirmed_by": confirmed,
                                 "state": SessionState.CONFIRMED if both else session.state})
            await tx.sessions.save(updated)
            await queue_space(
                tx, key=f"{session.id}:confirmed:{actor.member.id}:{session.sequence}",
                community_id=session.community_id, space_ref=session_space(session.id), now=now,
                message=OutboundMessage(
                    text=f"{actor.member.display_name} confirmed."
                    + (" Both of you are in." if both else ""), ephemeral=False, tone=Tone.SUCCESS),
            )
        return OutboundMessage(text=f"Confirmed for {ts(session.start)}.", tone=Tone.SUCCESS, carrier=Carrier(
            f"✓ {mention(actor.member)} confirmed." + (" Both of you are in." if both else ""),
            say.session_buttons(updated, confirm=not both), mentioning(actor.member)))

    async def cancel(self, actor: Actor, session_id: str, *, reschedule: bool = False) -> OutboundMessage:
        """Call the session off. The partner is told and gets a priority rematch; with
        ``reschedule`` (a rematch asked for instead of a new time) both do. Either way the
        calendar event is cancelled (same UID, SEQUENCE raised)."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
            _check_before_start(session, now)
            partner = members[session.partner_of(actor.member.id)]
            if reschedule:
                why = f"{actor.member.display_name} asked for a rematch instead."
            else:
                why = f"{actor.member.display_name} can't make it."
            await _release(tx, session, members, actor.member.id, now, both=reschedule, why=why)
        if reschedule:
            return OutboundMessage(
                text="Done: the session is released and you both have priority in the next round, "
                "which looks for a new time in your availability.",
                tone=Tone.SUCCESS,
                carrier=Carrier(f"Released: {mention(actor.member)} asked for a rematch; you both have "
                                "priority in the next round.", (), mentioning(actor.member)),
            )
        return OutboundMessage(text=f"Cancelled. {partner.display_name} has been told.", tone=Tone.SUCCESS,
                               carrier=Carrier(f"✗ Cancelled: {mention(actor.member)} can't make it.", (),
                                               mentioning(actor.member)))

    async def reschedule(self, actor: Actor, session_id: str) -> OutboundMessage:
        """Move the session to the pair's next common time: the same session (so the same
        calendar UID) with SEQUENCE raised, its steps replaced, both asked to confirm again, and
        the partner offered the new time or a priority rematch. With no common time in the next
        two weeks, the session is released and both get priority in the next round."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
            _check_before_start(session, now)
            partner = members[session.partner_of(actor.member.id)]
            community = await tx.communities.get(session.community_id)
            if community is None:
                raise NotFound("That session's community does not exist any more.")
            new_start = await _next_common_start(tx, session, members, now)
            if new_start is None:
                await _release(tx, session, members, actor.member.id, now, both=True, why=(
                    f"{actor.member.display_name} asked to reschedule, and no time in the next "
                    f"{RESCHEDULE_WITHIN.days} days suits you both."))
                return OutboundMessage(
                    text=f"No time in the next {RESCHEDULE_WITHIN.days} days suits you both, so the session "
                    "is released and you both have priority in the next matching round.",
                    tone=Tone.WARNING,
                    carrier=Carrier("Released: no other time suits you both; you both have priority in the "
                                    "next round."),
                )
            moved = Session(**{**session.__dict__, "start": new_start, "sequence": session.sequence + 1,
                               "state": SessionState.PROPOSED, "confirmed_by": ()})
            await tx.sessions.save(moved)
            await tx.actions.cancel_for_session(session.id, now)
            await schedule_session_steps(tx, moved, community.settings.reminder_minutes, now)
            await queue_space(
                tx, key=f"{session.id}:rescheduled:{moved.sequence}", community_id=session.community_id,
                space_ref=session_space(session.id), now=now,
                message=OutboundMessage(
                    title="New time proposed",
                    text=(
                        f"{actor.member.display_name} can't make {ts(session.start)}. The next time that "
                        f"suits you both is **{ts(new_start)}** ({ts(new_start, 'R')}), {moved.minutes} minutes.\n"
                        f"{mention(partner)}, please confirm it, ask for another time, or take a "
                        "priority rematch in the next round instead. The calendar invite below updates "
                        "the event you already have."
                    ),
                    tone=Tone.WARNING,
                    mentions=mentioning(partner),
                    buttons=(
                        Button("Confirm new time", encode("session.confirm", session.id), ButtonStyle.SUCCESS),
                        Button("Another time", encode("session.reschedule", session.id), ButtonStyle.SECONDARY),
                        Button("Priority rematch instead", encode("session.reschedule", session.id, REMATCH),
                               ButtonStyle.SECONDARY),
                        Button("Can't make it", encode("session.cancel", session.id), ButtonStyle.DANGER),
                    ),
                    attachments=(Attachment(f"peerloop-session-{session.id[:8]}.ics",
                                            invite_for(moved, members, now), "text/calendar",
                                            "Updated calendar invite"),),
                    ephemeral=False,
                ),
            )
        return OutboundMessage(
            text=f"Proposed {ts(new_start)} instead; {partner.display_name} has been asked to confirm. "
            "Confirm it yourself too.",
            tone=Tone.SUCCESS,
            buttons=(Button("Confirm new time", encode("session.confirm", session.id), ButtonStyle.SUCCESS),),
            carrier=Carrier(f"↻ {mention(actor.member)} asked for another time: {ts(new_start)} is proposed "
                            "in a new message.", (), mentioning(actor.member)),
        )

    async def report(self, actor: Actor, session_id: str, *, partner_absent: bool) -> OutboundMessage:
        now = self._clock.now()
        async with self._uow() as tx:
            session, _members = await self._load(tx, actor, session_id)
            if now < session.start + NOSHOW_AFTER:
                raise Conflict(f"You can report this from {ts(session.start + NOSHOW_AFTER, 't')}, ten minutes after the start.")
            if session.state is not SessionState.IN_PROGRESS:
                return OutboundMessage(text=f"This session is {session.state.value.replace('_', ' ')}; nothing to report.")
            if not partner_absent:
                return OutboundMessage(text="Thanks — enjoy the session!", tone=Tone.SUCCESS)
            absent = session.partner_of(actor.member.id)
            await tx.no_shows.add(NoShowReport(session.id, actor.member.id, absent, now), new_id())
            await tx.sessions.save(Session(**{**session.__dict__, "state": SessionState.NO_SHOW}))
            await tx.actions.cancel_for_session(session.id, now)
            await _reopen_request(tx, session, actor.member.id, now, priority=True)
            await queue_direct(
                tx, key=f"{session.id}:noshow-notice:{absent}", community_id=session.community_id,
                member_id=absent, now=now, session_id=session.id,
                message=OutboundMessage(
                    text=f"{actor.member.display_name} reported that you didn't join the {ts(session.start)} "
                    "session. Missed sessions lower your matching priority for a few weeks; "
                    "if this is wrong, ask a community admin to clear it.",
                    tone=Tone.WARNING, ephemeral=False),
            )
        return OutboundMessage(
            text="Sorry about that. It's recorded, and you have priority in the next matching round.",
            tone=Tone.SUCCESS,
        )

    async def open_guide(self, actor: Actor, session_id: str, part: int, page: int = 1) -> OutboundMessage:
        """The guide, privately, to that part's interviewer only (the DM fallback)."""
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
        interviewer, candidate = _roles_for_part(session, part)
        if actor.member.id != interviewer:
            raise PermissionDenied("Only this part's interviewer can open the interviewer guide.")
        if session.state not in (SessionState.IN_PROGRESS, SessionState.COMPLETED) or part > len(session.prompt_ids):
            raise Conflict("The guide opens when your part of the session starts.")
        prompts = prompts_for(self._prompts, session.community_id)
        prompt = prompts.get(session.prompt_ids[part - 1])
        rubric = prompts.rubric(prompt.rubric)
        reason = session.prompt_reasons[part - 1] if part - 1 < len(session.prompt_reasons) else None
        pages = say.interviewer_guide_pages(prompt, rubric, members[candidate].level, reason,
                                            session_id=session.id, part=part)
        if not 1 <= page <= len(pages):
            raise NotFound(f"The guide has pages 1 to {len(pages)}.")
        return pages[page - 1]

    async def upcoming_fields(self, actor: Actor) -> tuple[list[Field], list[Button]]:
        async with self._uow() as tx:
            sessions = await tx.sessions.for_member(actor.member.id, active_only=True)
            partners = await tx.members.get_many([s.partner_of(actor.member.id) for s in sessions])
        fields: list[Field] = []
        buttons: list[Button] = []
        for s in sessions:
            partner = partners[s.partner_of(actor.member.id)]
            role = "both roles" if s.swap else ("interviewer" if s.interviewer_id == actor.member.id else "candidate")
            fields.append(Field(
                f"{s.interview_type.label} with {partner.display_name}",
                f"{ts(s.start)} ({ts(s.start, 'R')}), {s.minutes} min, you: {role}; {s.state.value.replace('_', ' ')}.",
            ))
            if s.state in PRE_START_STATES:
                if actor.member.id not in s.confirmed_by:
                    buttons.append(Button(f"Confirm {s.interview_type.label}", encode("session.confirm", s.id), ButtonStyle.SUCCESS))
                buttons.append(Button(f"Reschedule {s.interview_type.label} session", encode("session.reschedule", s.id),
                                      ButtonStyle.SECONDARY))
                buttons.append(Button(f"Cancel {s.interview_type.label} session", encode("session.cancel", s.id), ButtonStyle.DANGER))
        return fields, buttons

    # -- button routing ------------------------------------------------------------------

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        verb = action.verb
        if verb == "session.confirm":
            return await self.confirm(actor, action.arg(0))
        if verb == "session.cancel":
            return await self.cancel(actor, action.arg(0))
        if verb == "session.reschedule":
            if len(action.args) > 1:
                if action.arg(1) != REMATCH:
                    raise NotFound(f"Unknown reschedule option: only {REMATCH!r} is accepted.")
                return await self.cancel(actor, action.arg(0), reschedule=True)
            return await self.reschedule(actor, action.arg(0))
        if verb == "session.here":
            return await self.report(actor, action.arg(0), partner_absent=False)
        if verb == "session.noshow":
            return await self.report(actor, action.arg(0), partner_absent=True)
        if verb == "guide.open":
            part = action.arg(1)
            page = action.args[2] if len(action.args) > 2 else "1"
            if part not in ("1", "2") or not page.isdigit():
                raise NotFound("That guide does not exist.")
            return await self.open_guide(actor, action.arg(0), int(part), int(page))
        raise NotFound("Unknown session action.")


def _check_before_start(session: Session, now: datetime) -> None:
    if session.state not in PRE_START_STATES or now >= session.start:
        raise Conflict("This session has already started or finished; it can only be changed before its start.")


async def _release(
    tx: UnitOfWork, session: Session, members: dict[str, Member], actor_id: str, now: datetime, *,
    both: bool, why: str,
) -> Session:
    """Cancel the session: its steps stop, the partner (or both) get a priority rematch, and
    the pair space gets a calendar cancellation (same UID, SEQUENCE raised)."""
    partner = members[session.partner_of(actor_id)]
    cancelled = Session(**{**session.__dict__, "state": SessionState.CANCELLED, "sequence": session.sequence + 1})
    await tx.sessions.save(cancelled)
    await tx.actions.cancel_for_session(session.id, now)
    for member_id in ([partner.id, actor_id] if both else [partner.id]):
        await _reopen_request(tx, session, member_id, now, priority=True)
    await queue_space(
        tx, key=f"{session.id}:cancelled", community_id=session.community_id,
        space_ref=session_space(session.id), now=now,
        message=OutboundMessage(
            title="Finding a new time" if both else "Session cancelled",
            text=(
                f"{why} The {ts(session.start)} session is off.\n"
                + ("You both get priority in the next matching round." if both
                   else f"{mention(partner)}, you get priority in the next matching round.")
            ),
            tone=Tone.WARNING,
            mentions=() if both else mentioning(partner),
            attachments=(Attachment(f"peerloop-session-{session.id[:8]}.ics",
                                    invite_for(cancelled, members, now, cancelled=True),
                                    "text/calendar", "Calendar cancellation"),),
            ephemeral=False,
        ),
    )
    return cancelled


async def _next_common_start(
    tx: UnitOfWork, session: Session, members: dict[str, Member], now: datetime,
) -> datetime | None:
    """The first start after the current one that both members' availability, blackouts and
    other sessions allow (failing that, the first before it), within ``RESCHEDULE_WITHIN``;
    never one overlapping the current slot."""
    length = timedelta(minutes=session.minutes)
    common: set[datetime] | None = None
    for member_id in session.member_ids:
        member = members[member_id]
        if member.availability is None or member.timezone is None:
            return None
        busy = [(s.start, s.start + timedelta(minutes=s.minutes))
                for s in await tx.sessions.active_for_members([member_id]) if s.id != session.id]
        starts = set(candidate_starts(
            member.availability, ZoneInfo(member.timezone), now + RESCHEDULE_LEAD, now + RESCHEDULE_WITHIN,
            session_minutes=session.minutes, blackouts=member.blackouts, busy=busy))
        common = starts if common is None else common & starts
    free = sorted(t for t in common or () if t + length <= session.start or t >= session.start + length)
    later = [t for t in free if t > session.start]
    pick = later or free
    return pick[0] if pick else None


def _roles_for_part(session: Session, part: int) -> tuple[str, str]:
    if part == 1:
        return session.interviewer_id, session.candidate_id
    return session.candidate_id, session.interviewer_id


async def _reopen_request(tx: UnitOfWork, session: Session, member_id: str, now: datetime, *, priority: bool) -> None:
    """Give a member whose session fell through an open request again (if they have none of that type)."""
    for existing in await tx.requests.open_for_member(member_id):
        if existing.interview_type is session.interview_type:
            return
    original: InterviewRequest | None = None
    for rid in session.request_ids:
        req = await tx.requests.get(rid)
        if req is not None and req.member_id == member_id:
            original = req
    if original is None:
        return
    await tx.requests.add(
        InterviewRequest(
            id=new_id(),
            community_id=session.community_id,
            member_id=member_id,
            interview_type=session.interview_type,
            role=original.role,
            window_start=now,
            window_end=max(original.window_end, now + timedelta(days=7)),
            created_at=now,
            priority=priority,
            times_left_out=original.times_left_out + 1,
        )
    )


class StepRunner:
    """Runs due scheduled steps: each claimed and marked done in one transaction."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, prompts: PromptSource) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        self.round_runner: RoundRunner | None = None
        self.metrics: Metrics = NO_METRICS

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
        now = self._clock.now()
        try:
            async with self._uow() as tx:
                action = await tx.actions.claim(action_id)
                if action is None or action.due_at > now:
                    return False
                status, note = await self._execute(tx, action, now)
                await tx.actions.finish(action.id, status, now, note)
                if status is ActionStatus.SKIPPED:
                    log.info("skipped %s %s: %s", action.kind.value, action.key, note)
            self.metrics.step_finished(action.kind.value, status.value, (now - action.due_at).total_seconds())
            return True
        except Exception as exc:
            async with self._uow() as tx:
                current = await tx.actions.get(action_id)
                if current is None or current.status is not ActionStatus.PENDING:
                    return False
                if current.attempts + 1 >= MAX_ATTEMPTS:
                    await tx.actions.finish(action_id, ActionStatus.FAILED, now, f"gave up: {exc!r}")
                    log.error("gave up on step %s after %d attempts: %r", current.key, current.attempts + 1, exc)
                    self.metrics.step_finished(current.kind.value, "failed", (now - current.due_at).total_seconds())
                else:
                    await tx.actions.retry_later(action_id, now + backoff(current.attempts), repr(exc))
                    log.warning("step %s failed (attempt %d), retrying: %r", current.key, current.attempts + 1, exc)
                    self.metrics.step_finished(current.kind.value, "retried", (now - current.due_at).total_seconds())
            return False

    async def _execute(self, tx: UnitOfWork, action: ScheduledAction, now: datetime) -> tuple[ActionStatus, str | None]:
        late = too_late(action, now)
        if late is not None:
            return ActionStatus.SKIPPED, f"too late to be useful ({int(late.total_seconds() // 60)} min late)"
        if action.kind is ActionKind.MATCH_ROUND:
            if self.round_runner is None:
                raise RuntimeError("no matching service attached")
            await self.round_runner.scheduled_round(tx, action, now)
            return ActionStatus.DONE, None
        if action.kind is ActionKind.EXPIRE_REQUEST:
            req = await tx.requests.get(str(action.payload.get("request_id", "")))
            if req is not None and req.status is RequestStatus.OPEN:
                await tx.requests.save(InterviewRequest(**{**req.__dict__, "status": RequestStatus.EXPIRED}))
                await queue_direct(tx, key=f"expired:{req.id}", community_id=req.community_id, member_id=req.member_id,
                                   now=now, message=OutboundMessage(
                                       text=f"Nobody was free for {req.interview_type.label} in the last "
                                       "15 minutes, so you've left the live queue. Try `/mock schedule` to book ahead.",
                                       ephemeral=False))
            return ActionStatus.DONE, None
        if action.kind is ActionKind.DIGEST and self.digest_runner is not None:
            return await self.digest_runner(tx, action, now)
        if action.kind is ActionKind.RETENTION and self.retention_runner is not None:
            return await self.retention_runner(tx, action, now)
        if action.session_id is None:
            return ActionStatus.SKIPPED, "no session"
        session = await tx.sessions.get_for_update(action.session_id)
        if session is None:
            return ActionStatus.SKIPPED, "session gone"
        members = await tx.members.get_many(session.member_ids)
        if len(members) < 2:
            return ActionStatus.SKIPPED, "a member left"
        space = session_space(session.id)
        cid = session.community_id

        if action.kind is ActionKind.REMINDER:
            if session.state not in PRE_START_STATES:
                return ActionStatus.SKIPPED, f"session {session.state.value}"
            minutes = int(str(action.payload.get("minutes", 0)))
            await queue_space(tx, key=f"{action.key}:msg", community_id=cid, space_ref=space, now=now,
                              message=say.reminder(session, members, minutes))
            return ActionStatus.DONE, None

        if action.kind is ActionKind.START:
            if session.state not in PRE_START_STATES:
                return ActionStatus.SKIPPED, f"session {session.state.value}"
            await tx.sessions.save(Session(**{**session.__dict__, "state": SessionState.IN_PROGRESS}))
            await self._send_part(tx, session, members, 1, action.key, now)
            return ActionStatus.DONE, (f"started {int((now - action.due_at).total_seconds() // 60)} min late"
                                       if now - action.due_at > REMINDER_GRACE else None)

        if action.kind in (ActionKind.SWAP, ActionKind.NOSHOW_CHECK, ActionKind.END) and (
            session.state in PRE_START_STATES
        ):
            # Another worker may be running this session's start right now: try again shortly
            # rather than skip a step that must happen.
            raise RuntimeError("the session's start has not run yet")

        if action.kind is ActionKind.SWAP:
            if session.state is not SessionState.IN_PROGRESS:
                return ActionStatus.SKIPPED, f"session {session.state.value}"
            await self._send_part(tx, session, members, 2, action.key, now)
            return ActionStatus.DONE, None

        if action.kind is ActionKind.NOSHOW_CHECK:
            if session.state is not SessionState.IN_PROGRESS:
                return ActionStatus.SKIPPED, f"session {session.state.value}"
            await queue_space(tx, key=f"{action.key}:msg", community_id=cid, space_ref=space, now=now,
                              message=say.noshow_check(session))
            return ActionStatus.DONE, None

        if action.kind is ActionKind.END:
            if session.state is not SessionState.IN_PROGRESS:
                return ActionStatus.SKIPPED, f"session {session.state.value}"
            await tx.sessions.save(Session(**{**session.__dict__, "state": SessionState.COMPLETED}))
            closes = window_end(session)
            end = session.start + timedelta(minutes=session.minutes)
            if now < closes:  # an end run after the window closed asks for nothing
                for member_id in session.member_ids:
                    partner = members[session.partner_of(member_id)]
                    await queue_direct(tx, key=f"{action.key}:feedback:{member_id}", community_id=cid,
                                       member_id=member_id, now=now, session_id=session.id,
                                       message=say.feedback_request(session, partner, closes))
                for i, delay in enumerate(FEEDBACK_REMINDERS, 1):
                    await tx.actions.add(session_step(session, f"feedback-reminder-{i}",
                                                      ActionKind.FEEDBACK_REMINDER, end + delay))
            await tx.actions.add(session_step(session, "feedback-close", ActionKind.FEEDBACK_CLOSE, closes))
            return ActionStatus.DONE, None

        if action.kind is ActionKind.FEEDBACK_REMINDER:
            if now >= window_end(session):
                return ActionStatus.SKIPPED, "the feedback window has closed"
            owed = await self.feedback_owed(tx, session)
            for member_id in owed:
                partner = members[session.partner_of(member_id)]
                await queue_direct(tx, key=f"{action.key}:{member_id}", community_id=cid, member_id=member_id,
                                   now=now, session_id=session.id,
                                   message=say.feedback_request(session, partner, window_end(session),
                                                                reminder=True))
            return ActionStatus.DONE, None

        if action.kind is ActionKind.FEEDBACK_CLOSE:
            if self.feedback_closer is not None:
                await self.feedback_closer(tx, session, now)
            return ActionStatus.DONE, None

        return ActionStatus.SKIPPED, f"nothing to do for {action.kind.value}"

    #: Set by the feedback service: who still owes feedback, and what happens when the window closes.
    feedback_owed_hook: Callable[[UnitOfWork, Session], Awaitable[Sequence[str]]] | None = None
    feedback_closer: Callable[[UnitOfWork, Session, datetime], Awaitable[None]] | None = None
    #: Set by the digest service: runs a weekly digest step.
    digest_runner: Callable[[UnitOfWork, ScheduledAction, datetime], Awaitable[tuple[ActionStatus, str | None]]] | None = None
    retention_runner: Callable[[UnitOfWork, ScheduledAction, datetime], Awaitable[tuple[ActionStatus, str | None]]] | None = None

    async def feedback_owed(self, tx: UnitOfWork, session: Session) -> list[str]:
        if self.feedback_owed_hook is not None:
            return list(await self.feedback_owed_hook(tx, session))
        return list(session.member_ids)

    async def _send_part(
        self, tx: UnitOfWork, session: Session, members: dict[str, Member], part: int, key: str, now: datetime
    ) -> None:
        interviewer, candidate = _roles_for_part(session, part)
        if part > len(session.prompt_ids):
            raise RuntimeError(f"session {session.id} has no prompt for part {part}")
        prompts = await community_prompts(self._prompts, tx, session.community_id)
        prompt = prompts.get(session.prompt_ids[part - 1])
        rubric = prompts.rubric(prompt.rubric)
        reason = session.prompt_reasons[part - 1] if part - 1 < len(session.prompt_reasons) else None
        await queue_space(tx, key=f"{key}:statement", community_id=session.community_id,
                          space_ref=session_space(session.id), now=now,
                          message=say.part_started(session, members, part, prompt, interviewer, candidate))
        pages = say.interviewer_guide_pages(prompt, rubric, members[candidate].level, reason)
        for number, page in enumerate(pages, 1):
            await queue_direct(tx, key=f"{key}:guide" + (f":{number}" if number > 1 else ""),
                               community_id=session.community_id, member_id=interviewer,
                               now=now, private=True, session_id=session.id, message=page)


class RoundRunner:
    """What the step runner needs from matching (implemented by MatchingService)."""

    async def scheduled_round(self, tx: UnitOfWork, action: ScheduledAction, now: datetime) -> None:
        raise NotImplementedError
