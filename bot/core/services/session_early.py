"""Start early, end early: "My partner is here" before the start, "Start now", "We're done",
and an admin ending a stuck session.

- Before the start (from an hour before), "My partner is here" records that the member's
  partner has joined. When both have said so, either may press "Start now": the session's
  start moves to now and its steps are replaced in the same transaction (start, swap, no-show
  check, end; reminders are dropped), then the new start step is run at once through the step
  runner, which claims it, so it runs once however many workers see it.
- During the session, "We're done" ends it early when both press it: the first press asks the
  partner to confirm; the second completes the session, opens feedback at once and replaces the
  remaining steps (swap, no-show check, end) with the feedback reminders and the window's close.
- An admin ends a stuck session (``/mockadmin end``, or the button in the admin member view):
  a session in progress, or one whose start passed without starting, is completed and
  feedback opens; the pair is told.

Every press locks the session row first (two presses at once: one takes effect, the other
reads what it wrote) and checks that the presser is one of the pair (or an admin of the
session's community). A press after the session ended is answered plainly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.actions import Action, encode
from bot.core.clock import Clock
from bot.core.errors import Conflict, NotFound
from bot.core.mentions import mention, mentioning
from bot.core.messages import Button, ButtonStyle, Carrier, FormValues, OutboundMessage, Tone, ts
from bot.core.models import (
    ActionKind,
    ActionStatus,
    Member,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.ports import UnitOfWork, UnitOfWorkFactory
from bot.core.services import session_text as say
from bot.core.services.actor import Actor
from bot.core.services.outbox import queue_session_post
from bot.core.services.session_plan import (
    PRE_START_STATES,
    action_key,
    session_step,
    session_steps,
)
from bot.core.services.session_steps import complete_session
from bot.core.services.sessions import SessionService, load_own_session

#: The verbs of the pair's buttons, and the admin's.
HERE_VERB = "session.here"
START_NOW_VERB = "session.start_now"
DONE_VERB = "session.done"
ADMIN_END_VERB = "admin.end_session"
#: Runs one stored step now (the step runner's ``run_one``: it claims the step first).
RunStep = Callable[[str], Awaitable[bool]]
#: The steps of a session's own timeline, replaced when it starts early and called off when it
#: ends early. Its voice channel's steps stay: the channel the pair may be talking in is not
#: closed under them (it is removed when planned, after the planned end).
TIMELINE = (
    ActionKind.REMINDER,
    ActionKind.START,
    ActionKind.SWAP,
    ActionKind.NOSHOW_CHECK,
    ActionKind.END,
)


def _state(session: Session) -> str:
    return session.state.value.replace("_", " ")


def _ended(session: Session) -> OutboundMessage:
    """The plain answer to a press on a session that is over."""
    return OutboundMessage(
        text=f"This session is already {_state(session)}; there is nothing left to do here.",
        carrier=Carrier(f"This session is {_state(session)}."),
    )


class EarlySessionService:
    """Early starts and ends: "My partner is here", "Start now", "We're done", an admin's end."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        sessions: SessionService,
        run_step: RunStep,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sessions = sessions
        self._run_step = run_step

    async def _load(
        self, tx: UnitOfWork, actor: Actor, session_id: str
    ) -> tuple[Session, dict[str, Member]]:
        """The session, locked, and its members; only its two members may act on it, and
        both must still be members."""
        session, members = await load_own_session(tx, actor, session_id)
        if len(members) < 2:
            raise NotFound("A member of that session has left.")
        return session, members

    # -- "My partner is here" ---------------------------------------------------------------

    async def here(self, actor: Actor, session_id: str) -> OutboundMessage:
        """Before the start: the member's partner is here (both: "Start now" is offered).
        From the start on, the press answers the no-show check as before."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
            if session.state in PRE_START_STATES and now < session.start:
                return await self._mark_here(tx, session, members, actor, now)
        return await self._sessions.report(actor, session_id, partner_absent=False)

    async def _mark_here(
        self,
        tx: UnitOfWork,
        session: Session,
        members: dict[str, Member],
        actor: Actor,
        now: datetime,
    ) -> OutboundMessage:
        opens = session.start - timedelta(minutes=say.HERE_FROM_MINUTES)
        if now < opens:
            raise Conflict(
                f"You can say your partner is here from {ts(opens)}, an hour before the start."
            )
        me = actor.member
        partner = members[session.partner_of(me.id)]
        here = session.here_by if me.id in session.here_by else (*session.here_by, me.id)
        both = set(here) == set(session.member_ids)
        if here != session.here_by:
            await tx.sessions.save(Session(**{**session.__dict__, "here_by": here}))
            await queue_session_post(
                tx,
                session,
                key=f"{session.id}:here:{me.id}:{session.sequence}",
                now=now,
                message=_here_notice(session, me, partner, both),
            )
        now_button = (say.start_now_button(session),) if both else ()
        if both:
            text = "You're both here. Press “Start now” to begin instead of waiting for the start."
        else:
            text = f"Noted. When {partner.display_name} says you're here too, you can start early."
        # The pressed message is the pair's: it keeps what either of them may still press.
        kept = now_button + say.session_buttons(
            session,
            confirm=not set(session.member_ids) <= set(session.confirmed_by),
            here=not both,
        )
        return OutboundMessage(
            text=text,
            tone=Tone.SUCCESS,
            buttons=now_button,
            carrier=Carrier(
                f"✓ {mention(me)} says their partner is here."
                + (" You're both here: you can start now." if both else ""),
                kept,
                mentioning(me),
                # The presser's own list keeps what they may still press: not this button.
                own=now_button
                + say.session_buttons(session, confirm=me.id not in session.confirmed_by),
            ),
        )

    # -- "Start now" -------------------------------------------------------------------------

    async def start_now(self, actor: Actor, session_id: str) -> OutboundMessage:
        """Both are here: the start moves to now, the steps are replaced in this transaction,
        and the new start step runs at once (claimed by the step runner: it runs once)."""
        now = self._clock.now().replace(second=0, microsecond=0)
        async with self._uow() as tx:
            session, _members = await self._load(tx, actor, session_id)
            if session.state.is_final:
                return _ended(session)
            if session.state not in PRE_START_STATES or self._clock.now() >= session.start:
                return OutboundMessage(
                    text="This session has already started.",
                    carrier=Carrier("This session has started."),
                )
            if set(session.here_by) != set(session.member_ids):
                raise Conflict("“Start now” opens once you have both pressed “My partner is here”.")
            moved = Session(**{**session.__dict__, "start": now, "sequence": session.sequence + 1})
            await tx.sessions.save(moved)
            await tx.actions.cancel_for_session(session.id, now, TIMELINE)
            steps = session_steps(moved, (), now) + await _voice_opens_now(tx, moved, now)
            await tx.actions.add_many(steps)
            start_step = next(step.id for step in steps if step.kind is ActionKind.START)
            await queue_session_post(
                tx,
                session,
                key=f"{session.id}:started-early:{moved.sequence}",
                now=now,
                message=OutboundMessage(
                    title="Starting now",
                    text=f"{actor.member.display_name} started the session early, instead of "
                    f"{ts(session.start)}. It ends {ts(now + timedelta(minutes=session.minutes), 't')}.",
                    tone=Tone.SUCCESS,
                    ephemeral=False,
                ),
            )
        await self._run_step(start_step)
        return OutboundMessage(
            text="Started. The problem statement is in your pair space.",
            tone=Tone.SUCCESS,
            carrier=Carrier(
                f"▶ {mention(actor.member)} started the session early.",
                (),
                mentioning(actor.member),
            ),
        )

    # -- "We're done" ------------------------------------------------------------------------

    async def done(self, actor: Actor, session_id: str) -> OutboundMessage:
        """During the session: the first press asks the partner to confirm; the second ends it."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
            if session.state.is_final:
                return _ended(session)
            if session.state is not SessionState.IN_PROGRESS:
                raise Conflict(
                    "“We're done” is for a session in progress; this one has not started."
                )
            me = actor.member
            partner = members[session.partner_of(me.id)]
            if me.id in session.done_by:
                return OutboundMessage(
                    text=f"Still waiting for {partner.display_name} to confirm you're done."
                )
            done_by = (*session.done_by, me.id)
            if set(done_by) != set(session.member_ids):
                await tx.sessions.save(Session(**{**session.__dict__, "done_by": done_by}))
                await queue_session_post(
                    tx,
                    session,
                    key=f"{session.id}:done-asked:{me.id}:{session.sequence}",
                    now=now,
                    message=OutboundMessage(
                        text=f"{me.display_name} says you're done. {mention(partner)}, press "
                        "“We're done” too to end the session now; feedback opens at once.",
                        buttons=(say.done_button(session),),
                        mentions=mentioning(partner),
                        ephemeral=False,
                    ),
                )
                return OutboundMessage(
                    text=f"Asked {partner.display_name} to confirm. The session ends when they do.",
                    carrier=Carrier(
                        f"{mention(me)} says you're done: waiting for {mention(partner)}.",
                        (say.done_button(session),),
                        mentioning(me, partner),
                    ),
                )
            ended = Session(**{**session.__dict__, "done_by": done_by})
            await self._end(
                tx,
                ended,
                members,
                now,
                "ended-early",
                "ended-early",
                OutboundMessage(
                    title="Session ended",
                    text="You both said you're done, so the session has ended. Feedback is open "
                    "now: check your direct messages.",
                    tone=Tone.SUCCESS,
                    ephemeral=False,
                ),
            )
        return OutboundMessage(
            text="Ended. Your feedback form is in your direct messages.",
            tone=Tone.SUCCESS,
            carrier=Carrier("■ You both said you're done: the session has ended."),
        )

    # -- an admin ends a stuck session ----------------------------------------------------------

    async def admin_end(self, actor: Actor, session_id: str) -> OutboundMessage:
        """An admin ends a session in progress (or one whose start passed without starting):
        it is completed, feedback opens and the pair is told."""
        actor.require_admin()
        now = self._clock.now()
        wanted = session_id.strip()
        async with self._uow() as tx:
            session = await tx.sessions.get_for_update(wanted) if wanted else None
            if session is None or session.community_id != actor.community.id:
                raise NotFound(
                    "No session of this community has that id. The admin member view "
                    "(`/mockadmin member`) lists a member's sessions with their ids."
                )
            if session.state.is_final:
                return OutboundMessage(
                    text=f"Session {session.id} is already {_state(session)}; nothing to end."
                )
            if session.state in PRE_START_STATES and now < session.start:
                raise Conflict(
                    f"Session {session.id} starts {ts(session.start)}; only a session in progress "
                    "(or past its start) can be ended. Its members can cancel it."
                )
            members = await tx.members.get_many(session.member_ids)
            if len(members) < 2:
                raise NotFound("A member of that session has left.")
            if session.state in PRE_START_STATES:  # its start never ran: start it where it was
                session = Session(**{**session.__dict__, "state": SessionState.IN_PROGRESS})
            await self._end(
                tx,
                session,
                members,
                now,
                "admin-end",
                "admin-ended",
                OutboundMessage(
                    title="Session ended by an admin",
                    text="A community admin ended this session. Feedback is open now: check your "
                    "direct messages.",
                    tone=Tone.WARNING,
                    ephemeral=False,
                ),
            )
        return OutboundMessage(
            text=f"Session {session.id} ended: feedback is open and the pair was told.",
            tone=Tone.SUCCESS,
            carrier=Carrier(f"Session {session.id} ended by an admin."),
        )

    async def _end(
        self,
        tx: UnitOfWork,
        session: Session,
        members: dict[str, Member],
        now: datetime,
        why: str,
        told: str,
        notice: OutboundMessage,
    ) -> None:
        """The remaining steps stop and the session completes now, feedback open; the pair
        space gets ``notice`` (once, under the outbox key ``<session id>:<told>``)."""
        await tx.actions.cancel_for_session(session.id, now, TIMELINE)
        key = action_key(session.id, f"{why}-{session.sequence}")
        await complete_session(tx, session, members, now, key, now)
        await queue_session_post(tx, session, key=f"{session.id}:{told}", message=notice, now=now)

    # -- button routing ----------------------------------------------------------------------

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """Handle "My partner is here", "Start now", "We're done" and an admin's "End session"."""
        if action.verb == HERE_VERB:
            return await self.here(actor, action.arg(0))
        if action.verb == START_NOW_VERB:
            return await self.start_now(actor, action.arg(0))
        if action.verb == DONE_VERB:
            return await self.done(actor, action.arg(0))
        if action.verb == ADMIN_END_VERB:
            return await self.admin_end(actor, action.arg(0))
        raise NotFound("Unknown session action.")


async def _voice_opens_now(
    tx: UnitOfWork, session: Session, now: datetime
) -> list[ScheduledAction]:
    """A voice channel not open yet opens now, with the name its removal step expects."""
    later = [
        a
        for a in await tx.actions.for_session(session.id)
        if a.kind is ActionKind.VOICE_OPEN and a.status is ActionStatus.PENDING and a.due_at > now
    ]
    if not later:
        return []
    await tx.actions.cancel_for_session(session.id, now, (ActionKind.VOICE_OPEN,))
    return [
        session_step(
            session,
            f"voice-open-{session.sequence}-early",
            ActionKind.VOICE_OPEN,
            now,
            dict(a.payload),
        )
        for a in later[:1]
    ]


def _here_notice(session: Session, me: Member, partner: Member, both: bool) -> OutboundMessage:
    """The pair space's note of a "My partner is here" before the start."""
    if not both:
        return OutboundMessage(
            text=f"{me.display_name} is here and says {partner.display_name} is too. "
            f"{mention(partner)}, press “My partner is here” as well to start early.",
            buttons=(say.here_button(session),),
            mentions=mentioning(partner),
            ephemeral=False,
        )
    return OutboundMessage(
        title="You're both here",
        text=f"Either of you can start now instead of at {ts(session.start)}.",
        buttons=(say.start_now_button(session),),
        tone=Tone.SUCCESS,
        ephemeral=False,
    )


def end_button(session: Session) -> Button:
    """The admin member view's button that ends a stuck session."""
    return Button(
        f"End session {session.id[:8]}", encode(ADMIN_END_VERB, session.id), ButtonStyle.DANGER
    )


ADMIN_VERBS = (ADMIN_END_VERB,)
MEMBER_VERBS = (HERE_VERB, START_NOW_VERB, DONE_VERB)
__all__ = ["EarlySessionService", "end_button"]
