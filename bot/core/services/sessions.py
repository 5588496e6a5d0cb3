"""What members do to a booked session: confirm, reschedule, cancel, report a no-show, open the guide."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import invites
from bot.core.actions import Action, encode, is_number
from bot.core.availability import candidate_starts
from bot.core.clock import Clock
from bot.core.errors import Conflict, NotFound, PermissionDenied
from bot.core.mentions import mention, mentioning
from bot.core.messages import (
    Button,
    ButtonStyle,
    Carrier,
    Field,
    FormValues,
    OutboundMessage,
    PictureRef,
    Tone,
    ts,
)
from bot.core.models import (
    ActionKind,
    InterviewRequest,
    Member,
    NoShowReport,
    Session,
    SessionState,
)
from bot.core.packs import prompts_for
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.report_models import report_button
from bot.core.services import session_text as say
from bot.core.services.actor import Actor, new_id
from bot.core.services.outbox import queue_direct, queue_session_post
from bot.core.services.session_plan import (
    NOSHOW_AFTER,
    PRE_START_STATES,
    roles_for_part,
    schedule_session_steps,
)
from bot.core.services.session_voice import call_off_room

#: A rescheduled session starts at least this far ahead, within this many days.
RESCHEDULE_LEAD = timedelta(minutes=30)
RESCHEDULE_WITHIN = timedelta(days=14)
#: The second argument of ``session.reschedule`` that asks for a priority rematch instead.
REMATCH = "rematch"


def invite_for(
    session: Session,
    members: dict[str, Member],
    now: datetime,
    *,
    cancelled: bool = False,
    label: str = "Calendar invite",
) -> PictureRef:
    """The session's calendar event, written when its message is delivered: its UID comes
    from the session id, so every version of it (booked, moved, cancelled) updates the same
    event; ``session.sequence`` orders them. ``label`` is the file's description."""
    a, b = members[session.interviewer_id], members[session.candidate_id]
    invite = invites.Invite(
        session_id=session.id,
        summary=f"PeerLoop mock interview: {session.interview_type.label} ({a.display_name} & {b.display_name})",
        description="\n".join(
            [
                "Your PeerLoop practice session. Join your pair space a minute early.",
                *(line.replace("**", "") for line in say.room_text(session)),
            ]
        ),
        start=session.start,
        minutes=session.minutes,
        sequence=session.sequence,
        stamp=now,
        cancelled=cancelled,
        location=session.call_url,
    )
    return invites.invite_ref(
        invite, filename=f"peerloop-session-{session.id[:8]}.ics", label=label
    )


async def load_own_session(
    tx: UnitOfWork, actor: Actor, session_id: str
) -> tuple[Session, dict[str, Member]]:
    """The session, locked, and its members; only its two members may act on it (checked
    here, on the server, whatever id a press carries)."""
    session = await tx.sessions.get_for_update(session_id)
    if session is None:
        raise NotFound("That session does not exist any more.")
    if actor.member.id not in session.member_ids:
        raise PermissionDenied("That session is not yours: only its two members can act on it.")
    members = await tx.members.get_many(session.member_ids)
    return session, members


class SessionService:
    """What members do to a session: confirm, reschedule, cancel, report a no-show, open the guide."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, prompts: PromptSource) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts

    async def _load(
        self, tx: UnitOfWork, actor: Actor, session_id: str
    ) -> tuple[Session, dict[str, Member]]:
        return await load_own_session(tx, actor, session_id)

    async def confirm(
        self, actor: Actor, session_id: str, *, seen: int | None = None
    ) -> OutboundMessage:
        """The member confirms the session; the pair is told when both have. ``seen`` is the
        version of the session the pressed button was shown for: once the session has moved
        since, the press confirms nothing and asks about the time proposed now."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, _members = await self._load(tx, actor, session_id)
            if session.state not in PRE_START_STATES:
                state = session.state.value.replace("_", " ")
                return OutboundMessage(
                    text=f"This session is already {state}.",
                    carrier=Carrier(f"This session is {state}."),
                )
            if seen is not None and seen != session.sequence:
                return _moved_since(session, actor)
            if actor.member.id in session.confirmed_by:
                return OutboundMessage(text="You have already confirmed. See you there!")
            confirmed = (*session.confirmed_by, actor.member.id)
            both = set(confirmed) == set(session.member_ids)
            updated = Session(
                **{
                    **session.__dict__,
                    "confirmed_by": confirmed,
                    "state": SessionState.CONFIRMED if both else session.state,
                }
            )
            await tx.sessions.save(updated)
            await queue_session_post(
                tx,
                session,
                key=f"{session.id}:confirmed:{actor.member.id}:{session.sequence}",
                now=now,
                message=OutboundMessage(
                    text=f"{actor.member.display_name} confirmed."
                    + (" Both of you are in." if both else ""),
                    ephemeral=False,
                    tone=Tone.SUCCESS,
                ),
            )
        return OutboundMessage(
            text=f"Confirmed for {ts(session.start)}.",
            tone=Tone.SUCCESS,
            carrier=Carrier(
                f"✓ {mention(actor.member)} confirmed." + (" Both of you are in." if both else ""),
                say.session_buttons(
                    updated,
                    confirm=not both,
                    here=now >= session.start - timedelta(minutes=say.HERE_FROM_MINUTES),
                ),
                mentioning(actor.member),
            ),
        )

    async def cancel(
        self, actor: Actor, session_id: str, *, reschedule: bool = False
    ) -> OutboundMessage:
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
                carrier=Carrier(
                    f"Released: {mention(actor.member)} asked for a rematch; you both have "
                    "priority in the next round.",
                    (),
                    mentioning(actor.member),
                ),
            )
        return OutboundMessage(
            text=f"Cancelled. {partner.display_name} has been told.",
            tone=Tone.SUCCESS,
            carrier=Carrier(
                f"✗ Cancelled: {mention(actor.member)} can't make it.", (), mentioning(actor.member)
            ),
        )

    async def reschedule(
        self, actor: Actor, session_id: str, *, seen: int | None = None
    ) -> OutboundMessage:
        """Move the session to the pair's next common time: the same session (so the same
        calendar UID) with SEQUENCE raised, its steps replaced, both asked to confirm again, and
        the partner offered the new time or a priority rematch. With no common time in the next
        two weeks, the session is released and both get priority in the next round.

        ``seen`` is the version of the session the pressed button was shown for (its
        ``sequence``): once the session has moved since, the press changes nothing and says
        where it is now (buttons posted before versions were carried give none)."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
            _check_before_start(session, now)
            if seen is not None and seen != session.sequence:
                return _moved_since(session, actor)
            partner = members[session.partner_of(actor.member.id)]
            community = await tx.communities.get(session.community_id)
            if community is None:
                raise NotFound("That session's community does not exist any more.")
            new_start = await _next_common_start(tx, session, members, now)
            if new_start is None:
                await _release(
                    tx,
                    session,
                    members,
                    actor.member.id,
                    now,
                    both=True,
                    why=(
                        f"{actor.member.display_name} asked to reschedule, and no time in the next "
                        f"{RESCHEDULE_WITHIN.days} days suits you both."
                    ),
                )
                return OutboundMessage(
                    text=f"No time in the next {RESCHEDULE_WITHIN.days} days suits you both, so the session "
                    "is released and you both have priority in the next matching round.",
                    tone=Tone.WARNING,
                    carrier=Carrier(
                        "Released: no other time suits you both; you both have priority in the "
                        "next round."
                    ),
                )
            moved = Session(
                **{
                    **session.__dict__,
                    "start": new_start,
                    "sequence": session.sequence + 1,
                    "state": SessionState.PROPOSED,
                    "confirmed_by": (),
                }
            )
            await tx.sessions.save(moved)
            await tx.actions.cancel_for_session(session.id, now)
            await schedule_session_steps(tx, moved, community.settings.reminder_minutes, now)
            moved = await call_off_room(tx, session, moved, community.settings, now)
            await queue_session_post(
                tx,
                session,
                key=f"{session.id}:rescheduled:{moved.sequence}",
                now=now,
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
                        say.confirm_button("Confirm new time", moved),
                        say.reschedule_button("Another time", moved, ButtonStyle.SECONDARY),
                        Button(
                            "Priority rematch instead",
                            encode("session.reschedule", session.id, REMATCH),
                            ButtonStyle.SECONDARY,
                        ),
                        Button(
                            "Can't make it",
                            encode("session.cancel", session.id),
                            ButtonStyle.DANGER,
                        ),
                    ),
                    pictures=(invite_for(moved, members, now, label="Updated calendar invite"),),
                    ephemeral=False,
                ),
            )
        return OutboundMessage(
            text=f"Proposed {ts(new_start)} instead; {partner.display_name} has been asked to confirm. "
            "Confirm it yourself too.",
            tone=Tone.SUCCESS,
            buttons=(say.confirm_button("Confirm new time", moved),),
            carrier=Carrier(
                f"↻ {mention(actor.member)} asked for another time: {ts(new_start)} is proposed "
                "in a new message.",
                (),
                mentioning(actor.member),
            ),
        )

    async def report(
        self, actor: Actor, session_id: str, *, partner_absent: bool
    ) -> OutboundMessage:
        """The member reports whether their partner showed up."""
        now = self._clock.now()
        async with self._uow() as tx:
            session, _members = await self._load(tx, actor, session_id)
            if now < session.start + NOSHOW_AFTER:
                raise Conflict(
                    f"You can report this from {ts(session.start + NOSHOW_AFTER, 't')}, ten minutes after the start."
                )
            if session.state is not SessionState.IN_PROGRESS:
                return OutboundMessage(
                    text=f"This session is {session.state.value.replace('_', ' ')}; nothing to report."
                )
            if not partner_absent:
                return OutboundMessage(text="Thanks — enjoy the session!", tone=Tone.SUCCESS)
            absent = session.partner_of(actor.member.id)
            await tx.no_shows.add(NoShowReport(session.id, actor.member.id, absent, now), new_id())
            await tx.sessions.save(Session(**{**session.__dict__, "state": SessionState.NO_SHOW}))
            # the voice channel still closes after the end (the pair may still be talking)
            await tx.actions.cancel_for_session(
                session.id, now, [k for k in ActionKind if k is not ActionKind.VOICE_CLOSE]
            )
            await reopen_request(tx, session, actor.member.id, now, priority=True)
            await queue_direct(
                tx,
                key=f"{session.id}:noshow-notice:{absent}",
                community_id=session.community_id,
                member_id=absent,
                now=now,
                session_id=session.id,
                message=OutboundMessage(
                    text=f"{actor.member.display_name} reported that you didn't join the {ts(session.start)} "
                    "session. Missed sessions lower your matching priority for a few weeks; "
                    "if this is wrong, press Report a problem (a no-show dispute) or ask a "
                    "community admin to clear it.",
                    tone=Tone.WARNING,
                    buttons=(report_button(session.id),),
                    ephemeral=False,
                ),
            )
        return OutboundMessage(
            text="Sorry about that. It's recorded, and you have priority in the next matching round.",
            tone=Tone.SUCCESS,
        )

    async def open_guide(
        self, actor: Actor, session_id: str, part: int, page: int = 1
    ) -> OutboundMessage:
        """The guide, privately, to that part's interviewer only (the DM fallback)."""
        async with self._uow() as tx:
            session, members = await self._load(tx, actor, session_id)
        interviewer, candidate = roles_for_part(session, part)
        if actor.member.id != interviewer:
            raise PermissionDenied("Only this part's interviewer can open the interviewer guide.")
        if session.state not in (SessionState.IN_PROGRESS, SessionState.COMPLETED) or part > len(
            session.prompt_ids
        ):
            raise Conflict("The guide opens when your part of the session starts.")
        prompts = prompts_for(self._prompts, session.community_id)
        prompt = prompts.get(session.prompt_ids[part - 1])
        rubric = prompts.rubric(prompt.rubric)
        reason = (
            session.prompt_reasons[part - 1] if part - 1 < len(session.prompt_reasons) else None
        )
        pages = say.interviewer_guide_pages(
            prompt, rubric, members[candidate].level, reason, session_id=session.id, part=part
        )
        if not 1 <= page <= len(pages):
            raise NotFound(f"The guide has pages 1 to {len(pages)}.")
        return pages[page - 1]

    async def upcoming_fields(self, actor: Actor) -> tuple[list[Field], list[Button]]:
        """The member's upcoming sessions as fields, with their buttons."""
        now = self._clock.now()
        async with self._uow() as tx:
            sessions = await tx.sessions.for_member(actor.member.id, active_only=True)
            partners = await tx.members.get_many([s.partner_of(actor.member.id) for s in sessions])
        fields: list[Field] = []
        buttons: list[Button] = []
        soon: list[Button] = []
        for s in sessions:
            partner = partners[s.partner_of(actor.member.id)]
            role = (
                "both roles"
                if s.swap
                else ("interviewer" if s.interviewer_id == actor.member.id else "candidate")
            )
            fields.append(
                Field(
                    f"{s.interview_type.label} with {partner.display_name}",
                    f"{ts(s.start)} ({ts(s.start, 'R')}), {s.minutes} min, you: {role}; {s.state.value.replace('_', ' ')}."
                    + "".join(f"\n{line}" for line in say.room_text(s)),
                )
            )
            if s.state in PRE_START_STATES:
                # Within the hour before the start: the session's own "My partner is here"
                # (then "Start now"), before every other button, so it is never one cut off.
                if (early := say.early_button(s, actor.member.id, now)) is not None:
                    soon.append(early)
                if actor.member.id not in s.confirmed_by:
                    buttons.append(say.confirm_button(f"Confirm {s.interview_type.label}", s))
                buttons.append(
                    say.reschedule_button(
                        f"Reschedule {s.interview_type.label} session", s, ButtonStyle.SECONDARY
                    )
                )
                buttons.append(
                    Button(
                        f"Cancel {s.interview_type.label} session",
                        encode("session.cancel", s.id),
                        ButtonStyle.DANGER,
                    )
                )
        return fields, [*soon, *buttons]

    # -- button routing ------------------------------------------------------------------

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """Handle a session button: confirm, cancel, reschedule, no-show, open the guide ("My
        partner is here" is :mod:`bot.core.services.session_early`'s)."""
        verb = action.verb
        if verb == "session.confirm":
            seen = action.args[1] if len(action.args) > 1 else None
            if seen is not None and not is_number(seen):
                raise NotFound("That confirm button is not valid any more.")
            return await self.confirm(
                actor, action.arg(0), seen=None if seen is None else int(seen)
            )
        if verb == "session.cancel":
            return await self.cancel(actor, action.arg(0))
        if verb == "session.reschedule":
            if len(action.args) > 1:
                if is_number(action.arg(1)):  # the version of the session the button showed
                    return await self.reschedule(actor, action.arg(0), seen=action.number(1))
                if action.arg(1) != REMATCH:
                    raise NotFound(f"Unknown reschedule option: only {REMATCH!r} is accepted.")
                return await self.cancel(actor, action.arg(0), reschedule=True)
            return await self.reschedule(actor, action.arg(0))
        if verb == "session.noshow":
            return await self.report(actor, action.arg(0), partner_absent=True)
        if verb == "guide.open":
            part = action.arg(1)
            page = action.args[2] if len(action.args) > 2 else "1"
            if part not in ("1", "2") or not is_number(page):
                raise NotFound("That guide does not exist.")
            return await self.open_guide(actor, action.arg(0), int(part), int(page))
        raise NotFound("Unknown session action.")


def _moved_since(session: Session, actor: Actor) -> OutboundMessage:
    """The answer to a confirm or reschedule button shown for a version of the session that
    has moved since: it changes nothing and asks about the time proposed now."""
    confirmed = actor.member.id in session.confirmed_by
    return OutboundMessage(
        text=f"This session has moved since: {ts(session.start)} is proposed now. "
        + ("You have confirmed it." if confirmed else "Confirm it, or ask for another time."),
        buttons=() if confirmed else (say.confirm_button("Confirm new time", session),),
    )


def _check_before_start(session: Session, now: datetime) -> None:
    if session.state not in PRE_START_STATES or now >= session.start:
        raise Conflict(
            "This session has already started or finished; it can only be changed before its start."
        )


async def _release(
    tx: UnitOfWork,
    session: Session,
    members: dict[str, Member],
    actor_id: str,
    now: datetime,
    *,
    both: bool,
    why: str,
) -> Session:
    """Cancel the session: its steps stop, the partner (or both) get a priority rematch, and
    the pair space gets a calendar cancellation (same UID, SEQUENCE raised)."""
    partner = members[session.partner_of(actor_id)]
    cancelled = Session(
        **{**session.__dict__, "state": SessionState.CANCELLED, "sequence": session.sequence + 1}
    )
    await tx.sessions.save(cancelled)
    await tx.actions.cancel_for_session(session.id, now)
    community = await tx.communities.get(session.community_id)
    if community is not None:
        cancelled = await call_off_room(tx, session, cancelled, community.settings, now)
    for member_id in [partner.id, actor_id] if both else [partner.id]:
        await reopen_request(tx, session, member_id, now, priority=True)
    await queue_session_post(
        tx,
        session,
        key=f"{session.id}:cancelled",
        now=now,
        message=OutboundMessage(
            title="Finding a new time" if both else "Session cancelled",
            text=(
                f"{why} The {ts(session.start)} session is off.\n"
                + (
                    "You both get priority in the next matching round."
                    if both
                    else f"{mention(partner)}, you get priority in the next matching round."
                )
            ),
            tone=Tone.WARNING,
            mentions=() if both else mentioning(partner),
            pictures=(
                invite_for(cancelled, members, now, cancelled=True, label="Calendar cancellation"),
            ),
            ephemeral=False,
        ),
    )
    return cancelled


async def _next_common_start(
    tx: UnitOfWork,
    session: Session,
    members: dict[str, Member],
    now: datetime,
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
        busy = [
            (s.start, s.start + timedelta(minutes=s.minutes))
            for s in await tx.sessions.active_for_members([member_id])
            if s.id != session.id
        ]
        starts = set(
            candidate_starts(
                member.availability,
                ZoneInfo(member.timezone),
                now + RESCHEDULE_LEAD,
                now + RESCHEDULE_WITHIN,
                session_minutes=session.minutes,
                blackouts=member.blackouts,
                busy=busy,
            )
        )
        common = starts if common is None else common & starts
    free = sorted(
        t for t in common or () if t + length <= session.start or t >= session.start + length
    )
    later = [t for t in free if t > session.start]
    pick = later or free
    return pick[0] if pick else None


async def reopen_request(
    tx: UnitOfWork, session: Session, member_id: str, now: datetime, *, priority: bool
) -> None:
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
            loop_id=original.loop_id,
        )
    )
