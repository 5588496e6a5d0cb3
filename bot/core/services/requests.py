"""Interview requests: ``/mock schedule``, ``/mock cancel``, ``/mock upcoming``."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.actions import encode
from bot.core.availability import candidate_starts
from bot.core.clock import Clock
from bot.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.core.messages import (
    Button,
    ButtonStyle,
    Field,
    OutboundMessage,
    Tone,
    ts,
)
from bot.core.models import InterviewRequest, RequestStatus
from bot.core.packs import community_prompts
from bot.core.ports import PromptSource, UnitOfWorkFactory
from bot.core.services.actor import Actor, new_id
from bot.core.services.reports import refuse_if_suspended
from bot.core.services.rounds import (
    community_open_for_matching,
    member_to_match,
    require_schedulable,
    schedule_next_round,
)
from bot.core.vocab import InterviewType, RolePreference

MIN_DAYS = 1
MAX_DAYS = 14
DEFAULT_DAYS = 7
LIVE_MINUTES = 15
#: The "Schedule a session" button's verb (the form it opens) and the form's own verb.
SCHEDULE_OPEN = "schedule.open"
SCHEDULE_SUBMIT = "schedule.submit"


class RequestService:
    """Interview requests: ``/mock schedule`` (with its form), cancelling, and the member's
    upcoming requests and sessions."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, prompts: PromptSource | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        #: The prompts: a type with none in the community is switched off there.
        self.prompts = prompts

    async def schedule(
        self,
        actor: Actor,
        kind: InterviewType,
        role: RolePreference = RolePreference.SWAP,
        days: int = DEFAULT_DAYS,
    ) -> OutboundMessage:
        """Open a request of a type for the next ``days`` days with the member's role preference."""
        pref, span = role, days
        if not MIN_DAYS <= span <= MAX_DAYS:
            raise InvalidInput(
                "days",
                f"{span} days is outside the scheduling window.",
                accepted=f"{MIN_DAYS} to {MAX_DAYS}",
            )
        now = self._clock.now()
        async with self._uow() as tx:
            community = await community_open_for_matching(tx, actor.community.id)
            member = await member_to_match(tx, actor.member.id)
            await refuse_if_suspended(tx, member.id, now)
            require_schedulable(member, "scheduling")
            assert member.timezone is not None and member.availability is not None
            if self.prompts is not None and not (
                await community_prompts(self.prompts, tx, actor.community.id)
            ).prompts(kind):
                raise Conflict(
                    f"{kind.label} interviews are switched off in this community by its admins."
                )
            for existing in await tx.requests.open_for_member(member.id):
                if existing.interview_type is kind:
                    raise Conflict(
                        f"You already have an open {kind.label} request (since "
                        f"{ts(existing.created_at, 'f')}). Cancel it with `/mock cancel` "
                        "or wait for your match."
                    )
            end = now + timedelta(days=span)
            starts = candidate_starts(
                member.availability,
                ZoneInfo(member.timezone),
                now,
                end,
                session_minutes=community.settings.session_minutes,
                blackouts=member.blackouts,
            )
            if not starts:
                raise InvalidInput(
                    "days",
                    f"Your availability leaves no start time in the next {span} days.",
                    accepted="a longer window (up to 14 days) or more availability via `/mock availability`",
                )
            request = InterviewRequest(
                id=new_id(),
                community_id=actor.community.id,
                member_id=member.id,
                interview_type=kind,
                role=pref,
                window_start=now,
                window_end=end,
                created_at=now,
            )
            await tx.requests.add(request)
            await schedule_next_round(tx, community, now)
        every = community.settings.match_every_minutes
        return OutboundMessage(
            title="Request open",
            text=(
                f"**{kind.label}**, {pref.label.lower()}, between {ts(now, 'f')} and {ts(end, 'f')}.\n"
                f"{len(starts)} of your start times are in that window; the first is {ts(starts[0])}.\n"
                f"Matching runs every {every} minutes. You will get a message when you are paired."
            ),
            tone=Tone.SUCCESS,
            buttons=(
                Button("Cancel request", encode("request.cancel", request.id), ButtonStyle.DANGER),
            ),
        )

    async def cancel(self, actor: Actor, request_id: str | None = None) -> OutboundMessage:
        """Cancel the member's open request (the only one, or the one named). The community's
        round lock is taken first: a matching round running now, which read the request open,
        books it before the cancel looks (which then finds it matched), never after it."""
        async with self._uow() as tx:
            await tx.rounds.lock_community(actor.community.id)
            open_requests = await tx.requests.open_for_member(actor.member.id)
            if request_id is None:
                if not open_requests:
                    return OutboundMessage(text="You have no open request to cancel.")
                if len(open_requests) > 1:
                    return OutboundMessage(
                        title="Which request?",
                        text="You have several open requests. Pick the one to cancel.",
                        buttons=tuple(
                            Button(
                                f"Cancel {r.interview_type.label}",
                                encode("request.cancel", r.id),
                                ButtonStyle.DANGER,
                            )
                            for r in open_requests
                        ),
                    )
                request = open_requests[0]
            else:
                found = await tx.requests.get(request_id, for_update=True)  # one press at a time
                if found is None:
                    raise NotFound("That request does not exist any more.")
                if found.member_id != actor.member.id:
                    raise PermissionDenied("That request is not yours to cancel.")
                request = found
            if request.status is not RequestStatus.OPEN:
                return OutboundMessage(
                    text=f"That {request.interview_type.label} request is already {request.status.value}."
                )
            await tx.requests.save(
                InterviewRequest(**{**request.__dict__, "status": RequestStatus.CANCELLED})
            )
        return OutboundMessage(
            text=f"Cancelled your {request.interview_type.label} request.", tone=Tone.SUCCESS
        )

    async def upcoming(self, actor: Actor) -> OutboundMessage:
        """The member's open requests and upcoming sessions."""
        async with self._uow() as tx:
            open_requests = await tx.requests.open_for_member(actor.member.id)
        open_requests.sort(key=lambda r: (r.created_at, r.interview_type.value))
        if not open_requests:
            return OutboundMessage(
                title="Upcoming",
                text="Nothing open. Ask for a session with `/mock schedule`.",
                buttons=(Button("Schedule a session", encode(SCHEDULE_OPEN), ButtonStyle.PRIMARY),),
            )
        fields = tuple(
            Field(
                f"{r.interview_type.label} — {r.role.label.lower()}",
                f"Open since {ts(r.created_at, 'f')}; looking until {ts(r.window_end, 'f')}."
                + (f"\nLast round: {r.last_left_out_reason}" if r.last_left_out_reason else ""),
            )
            for r in open_requests
        )
        return OutboundMessage(
            title="Upcoming",
            text=f"{len(open_requests)} open request(s).",
            fields=fields,
            buttons=tuple(
                Button(
                    f"Cancel {r.interview_type.label}",
                    encode("request.cancel", r.id),
                    ButtonStyle.DANGER,
                )
                for r in open_requests
            )[:5],
        )
