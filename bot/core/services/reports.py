"""Reports about a session's partner, and suspensions from matching.

- A member of a session reports their partner (a reason and a short text), once per session.
  Only the admins read it: it is posted in the admins' channel and listed by the ``reports``
  admin command. The reporter is blocked from the partner (``Member.blocked``, the same
  confidential list as ``/mock block``). The reported member is never told: no reply,
  message or export of theirs mentions it.
- Admins resolve reports and suspend members from matching for a number of days: a
  suspended member's open requests are left out of every round (:func:`suspended_members`
  is the matcher's input filter) and ``/mock schedule`` and ``/mock now`` are refused with
  the end date (:func:`refuse_if_suspended`). Suspensions are stored, so they survive a
  restart, and listed in the reports view as the admins' audit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.core.messages import OutboundMessage, Tone, clip, quote, ts
from bot.core.models import (
    ActionKind,
    ActionStatus,
    Member,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.ports import UnitOfWork, UnitOfWorkFactory
from bot.core.report_models import (
    MAX_REPORT_TEXT,
    MAX_SUSPEND_DAYS,
    MAX_SUSPEND_REASON,
    Report,
    ReportReason,
    Suspension,
    report_button,
)
from bot.core.services.actor import Actor, new_id
from bot.core.services.outbox import queue_direct, queue_space
from bot.core.services.partners import MAX_BLOCKED
from bot.core.services.report_text import ReportLine, admin_notice

#: What the reports view lists, and how many "Report a problem" buttons ``/mock history`` offers.
VIEW_REPORTS = 10
VIEW_SUSPENSIONS = 8
HISTORY_BUTTONS = 5
#: Sessions a member may report: those that began (or were meant to), whatever came of them.
REPORTABLE = (
    SessionState.IN_PROGRESS,
    SessionState.COMPLETED,
    SessionState.NO_SHOW,
    SessionState.CANCELLED,
)
_MEMBER_REFS = "a mention (@name), the member's user id or their display name"


def clean_text(text: str | None) -> str:
    """A report's free text as stored: trimmed, at most :data:`MAX_REPORT_TEXT` characters,
    with nothing that a face would read as a time token (the renderers escape the rest)."""
    return clip((text or "").strip().replace("{t:", "{ t:"), MAX_REPORT_TEXT)


async def suspended_members(tx: UnitOfWork, community_id: str, now: datetime) -> set[str]:
    """The community's members kept out of matching at ``now`` (a round leaves their requests out)."""
    return await tx.reports.suspended_members(community_id, now)


async def refuse_if_suspended(tx: UnitOfWork, member_id: str, now: datetime) -> None:
    """Refuse a new request of a suspended member, saying when the suspension ends."""
    suspension = await tx.reports.active_suspension(member_id, now)
    if suspension is not None:
        raise PermissionDenied(
            "An admin has paused your matching until "
            f"{ts(suspension.ends_at)}. You can ask for sessions again from then."
        )


class ReportService:
    """Members report a session's partner; admins read, resolve and suspend."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def now(self) -> datetime:
        """The service's clock (the reports view tells ended suspensions from running ones)."""
        return self._clock.now()

    # -- members ----------------------------------------------------------------------------

    async def _session(self, tx: UnitOfWork, actor: Actor, session_id: str) -> Session:
        """The session, if the actor was one of its two members (the same refusal otherwise,
        so a crafted id tells nothing about other sessions)."""
        session = await tx.sessions.get(session_id) if session_id else None
        if (
            session is None
            or session.community_id != actor.community.id
            or actor.member.id not in session.member_ids
        ):
            raise PermissionDenied(
                "Only the two members of a session can report a problem with it."
            )
        if session.state not in REPORTABLE:
            raise Conflict(
                f"You can report a problem once the session has begun ({ts(session.start)})."
            )
        return session

    async def check(self, actor: Actor, session_id: str) -> None:
        """Before the form opens: the actor may report this session and has not yet."""
        async with self._uow() as tx:
            session = await self._session(tx, actor, session_id)
            await self._not_reported(tx, session, actor)

    @staticmethod
    async def _not_reported(tx: UnitOfWork, session: Session, actor: Actor) -> None:
        earlier = await tx.reports.by_reporter(session.id, actor.member.id)
        if earlier is not None:
            raise Conflict(
                f"You already reported a problem with this session ({ts(earlier.created_at)}). "
                "The admins have it; a session is reported once."
            )

    async def submit(
        self, actor: Actor, session_id: str, reason: ReportReason, text: str | None
    ) -> OutboundMessage:
        """Store the report, block the partner for the reporter and tell the admins (only)."""
        now = self._clock.now()
        details = clean_text(text)
        async with self._uow() as tx:
            session = await self._session(tx, actor, session_id)
            await self._not_reported(tx, session, actor)
            partner_id = session.partner_of(actor.member.id)
            # The reporter is read under a lock: the block added below cannot overwrite a
            # block or profile change made at the same moment.
            me = await tx.members.get(actor.member.id, for_update=True)
            partner = await tx.members.get(partner_id)
            if me is None or partner is None:
                raise NotFound("That member is no longer here.")
            report = Report(
                id=new_id(),
                community_id=actor.community.id,
                session_id=session.id,
                reporter_id=me.id,
                reported_id=partner.id,
                reason=reason,
                text=details,
                created_at=now,
            )
            if not await tx.reports.add(report):  # two presses at once: the second is refused
                await self._not_reported(tx, session, actor)
            if partner.id not in me.blocked and len(me.blocked) < MAX_BLOCKED:
                await tx.members.save(me.with_changes(blocked=(*me.blocked, partner.id)))
            community = await tx.communities.get(actor.community.id)
            channel = community.settings.admin_channel_id if community else None
            if channel:
                await queue_space(
                    tx,
                    key=f"report:{report.id}",
                    community_id=actor.community.id,
                    space_ref=channel,
                    now=now,
                    message=admin_notice(report, me, partner, session),
                )
        return OutboundMessage(
            title="Thank you for telling us",
            text=f"Your report reached the community's admins; only they read it. "
            f"You will not be paired with {partner.display_name} again, and nobody tells "
            f"{partner.display_name} about your report.",
            tone=Tone.SUCCESS,
        )

    async def reportable(self, actor: Actor) -> list[tuple[Session, str]]:
        """The actor's latest sessions they may still report, with their partner's name."""
        async with self._uow() as tx:
            sessions = [
                s
                for s in await tx.sessions.for_member(actor.member.id)
                if s.state in REPORTABLE
                and s.community_id == actor.community.id
                and s.start <= self._clock.now()
            ]
            sessions.sort(key=lambda s: s.start, reverse=True)
            sessions = sessions[: HISTORY_BUTTONS * 2]
            done = await tx.reports.reported_sessions(actor.member.id, [s.id for s in sessions])
            open_ = [s for s in sessions if s.id not in done][:HISTORY_BUTTONS]
            partners = await tx.members.get_many([s.partner_of(actor.member.id) for s in open_])
        return [
            (
                s,
                partners[p].display_name
                if (p := s.partner_of(actor.member.id)) in partners
                else "",
            )
            for s in open_
        ]

    # -- admins -----------------------------------------------------------------------------

    async def overview(self, actor: Actor) -> tuple[list[ReportLine], list[tuple[Suspension, str]]]:
        """The community's reports (open first) and its suspensions (newest first), named."""
        actor.require_admin()
        async with self._uow() as tx:
            reports = await tx.reports.for_community(actor.community.id, limit=VIEW_REPORTS)
            suspensions = await tx.reports.suspensions(actor.community.id, limit=VIEW_SUSPENSIONS)
            ids = {r.reporter_id for r in reports} | {r.reported_id for r in reports}
            ids |= {s.member_id for s in suspensions}
            names = await tx.members.get_many(sorted(ids))
            sessions = {s: await tx.sessions.get(s) for s in {r.session_id for r in reports}}

        def name(member_id: str) -> str:
            member = names.get(member_id)
            return member.display_name if member else "a former member"

        lines = [
            ReportLine(r, name(r.reporter_id), name(r.reported_id), sessions.get(r.session_id))
            for r in reports
        ]
        return lines, [(s, name(s.member_id)) for s in suspensions]

    async def resolve(self, actor: Actor, report_id: str) -> OutboundMessage:
        """Mark a report of the actor's community resolved (admins only)."""
        actor.require_admin()
        now = self._clock.now()
        async with self._uow() as tx:
            report = await tx.reports.get(report_id) if report_id else None
            if report is None or report.community_id != actor.community.id:
                raise NotFound("No such report here. `reports` lists them.")
            if not await tx.reports.resolve(report.id, actor.member.id, now):
                return OutboundMessage(text="That report was already resolved.")
        return OutboundMessage(
            text=f"Report of {ts(report.created_at, 'D')} resolved.", tone=Tone.SUCCESS
        )

    async def _member(self, tx: UnitOfWork, actor: Actor, who: str) -> Member:
        name = who.strip().removeprefix("@").strip()
        if not name:
            raise InvalidInput("member", "Which member?", accepted=_MEMBER_REFS)
        member = await tx.members.find(actor.community.id, name) or await tx.members.find_by_name(
            actor.community.id, name
        )
        if member is None:
            raise NotFound(f"No member “{quote(name)}” here. Accepted: {_MEMBER_REFS}.")
        return member

    async def suspend(
        self, actor: Actor, who: str, days: int, reason: str | None
    ) -> OutboundMessage:
        """Keep a member out of matching for ``days`` days; they are told until when."""
        actor.require_admin()
        if not 1 <= days <= MAX_SUSPEND_DAYS:
            raise InvalidInput("days", "How many days?", accepted=f"1 to {MAX_SUSPEND_DAYS}")
        now = self._clock.now()
        async with self._uow() as tx:
            member = await self._member(tx, actor, who)
            if member.id == actor.member.id:
                raise InvalidInput("member", "That is you.", accepted=_MEMBER_REFS)
            await tx.reports.lift(member.id, actor.member.id, now)  # a new one replaces it
            suspension = Suspension(
                id=new_id(),
                community_id=actor.community.id,
                member_id=member.id,
                starts_at=now,
                ends_at=now + timedelta(days=days),
                reason=clip((reason or "").strip(), MAX_SUSPEND_REASON),
                created_by=actor.member.id,
            )
            await tx.reports.add_suspension(suspension)
            await tx.actions.add(
                ScheduledAction(
                    id=new_id(),
                    key=f"suspension-end:{suspension.id}",
                    kind=ActionKind.SUSPENSION_END,
                    community_id=actor.community.id,
                    due_at=suspension.ends_at,
                    payload={"suspension_id": suspension.id},
                )
            )
            await queue_direct(
                tx,
                key=f"suspension:{suspension.id}",
                community_id=actor.community.id,
                member_id=member.id,
                now=now,
                message=OutboundMessage(
                    title="Matching paused",
                    text=f"A community admin has paused your matching until "
                    f"{ts(suspension.ends_at)}. Until then you are not paired and cannot ask "
                    "for sessions; sessions already booked stay. Questions: ask a community admin.",
                    tone=Tone.WARNING,
                ),
            )
        return OutboundMessage(
            text=f"{member.display_name} is suspended from matching until {ts(suspension.ends_at)}. "
            "They were told until when (not the reason).",
            tone=Tone.SUCCESS,
        )

    async def end_step(
        self, tx: UnitOfWork, action: ScheduledAction, now: datetime
    ) -> tuple[ActionStatus, str | None]:
        """A suspension's end date: the member is told they can be matched again (unless an
        admin lifted it or replaced it meanwhile: then they were told already, or are still out)."""
        suspension = await tx.reports.get_suspension(str(action.payload.get("suspension_id", "")))
        if suspension is None or suspension.lifted_at is not None:
            return ActionStatus.SKIPPED, "the suspension was lifted or is gone"
        if await tx.reports.active_suspension(suspension.member_id, now) is not None:
            return ActionStatus.SKIPPED, "another suspension is in force"
        await queue_direct(
            tx,
            key=f"suspension-ended:{suspension.id}",
            community_id=suspension.community_id,
            member_id=suspension.member_id,
            now=now,
            message=OutboundMessage(
                text="Your pause from matching has ended: `/mock schedule` to ask for a session.",
                tone=Tone.SUCCESS,
            ),
        )
        return ActionStatus.DONE, None

    async def unsuspend(self, actor: Actor, who: str) -> OutboundMessage:
        """End a member's suspension now; they are told."""
        actor.require_admin()
        now = self._clock.now()
        async with self._uow() as tx:
            member = await self._member(tx, actor, who)
            if not await tx.reports.lift(member.id, actor.member.id, now):
                return OutboundMessage(text=f"{member.display_name} is not suspended.")
            await queue_direct(
                tx,
                key=f"unsuspended:{member.id}:{int(now.timestamp())}",
                community_id=actor.community.id,
                member_id=member.id,
                now=now,
                message=OutboundMessage(
                    text="Your matching is running again: `/mock schedule` to ask for a session.",
                    tone=Tone.SUCCESS,
                ),
            )
        return OutboundMessage(
            text=f"{member.display_name} can be matched again; they were told.", tone=Tone.SUCCESS
        )


__all__ = [
    "ReportService",
    "clean_text",
    "refuse_if_suspended",
    "report_button",
    "suspended_members",
]
