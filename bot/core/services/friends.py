"""Practising with a chosen member: ``/mock schedule partner:@member`` and admins' hand pairing.

The requester's invitation is stored (``friend_requests``) and sent to the invited member with
**Accept** and **Decline**; only they may answer, only the requester may withdraw it, and it
lapses after :data:`ANSWER_WITHIN` (a stored step, so a restart keeps it). Every change of
state is one conditional update from ``pending``, so of two presses at once exactly one counts.

An accepted invitation is booked like a round's pair, by the engine run on exactly the two of
them (:func:`bot.core.services.match_booking.book_chosen`): both availabilities, blackouts,
other sessions, blocks, roles and levels, the prompt rules, at their first common time. A
block either way makes the pair impossible, and nobody is told why: the texts say only that it
can't be arranged. ``/mockadmin pair`` books two members the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.actions import Action, encode
from bot.core.clock import Clock
from bot.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ProfileIncomplete
from bot.core.friend_models import FriendRequest, FriendStatus
from bot.core.messages import Button, ButtonStyle, Carrier, FormValues, OutboundMessage, Tone
from bot.core.models import (
    ActionKind,
    Community,
    InterviewRequest,
    Member,
    RequestStatus,
    ScheduledAction,
    Session,
)
from bot.core.packs import community_prompts
from bot.core.ports import Offload, PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services import friend_text as say
from bot.core.services.actor import Actor, new_id
from bot.core.services.match_booking import book_chosen, check_chosen
from bot.core.services.outbox import queue_direct, queue_edit
from bot.core.services.partners import member_named
from bot.core.services.reports import refuse_if_suspended, suspended_members
from bot.core.services.rounds import community_open_for_matching
from bot.core.services.session_steps import DONE, StepOutcome
from bot.core.vocab import InterviewType, RolePreference

#: How long the invited member has to answer before the invitation lapses.
ANSWER_WITHIN = timedelta(hours=48)
#: Invitations a member may have waiting for an answer at once.
MAX_PENDING = 5
ACCEPT = "friend.accept"
DECLINE = "friend.decline"
WITHDRAW = "friend.cancel"
VERBS = (ACCEPT, DECLINE, WITHDRAW)
#: The engine's reasons that mean "no start time suits both".
NO_COMMON_TIME = frozenset({"no_free_times", "no_shared_times"})
#: Our own reasons: a block either way, a member suspended from matching (never shown to
#: members: both read as "can't be arranged").
BLOCKED = "blocked"
SUSPENDED = "suspended"


def other_role(role: RolePreference) -> RolePreference:
    """The invited member's side of the requester's role."""
    return {
        RolePreference.SWAP: RolePreference.SWAP,
        RolePreference.CANDIDATE: RolePreference.INTERVIEWER,
        RolePreference.INTERVIEWER: RolePreference.CANDIDATE,
    }[role]


def _ready(member: Member) -> bool:
    return not member.missing_profile_fields() and bool(member.availability)


def _blocked(a: Member, b: Member) -> bool:
    return a.id in b.blocked or b.id in a.blocked


def pair_requests(
    community_id: str,
    first: Member,
    second: Member,
    kind: InterviewType,
    role: RolePreference,
    days: int,
    now: datetime,
) -> tuple[InterviewRequest, InterviewRequest]:
    """The two requests a chosen pair is booked on (stored as matched once booked)."""

    def request(member: Member, side: RolePreference) -> InterviewRequest:
        return InterviewRequest(
            id=new_id(),
            community_id=community_id,
            member_id=member.id,
            interview_type=kind,
            role=side,
            window_start=now,
            window_end=now + timedelta(days=days),
            created_at=now,
            status=RequestStatus.MATCHED,
        )

    return request(first, role), request(second, other_role(role))


class FriendService:
    """Invitations to practise with a chosen member, and admins' hand pairing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        prompts: PromptSource,
        offload: Offload | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        #: Where the engine runs (None: right here; two requests take a millisecond).
        self._offload = offload

    # -- booking a chosen pair ---------------------------------------------------------------

    async def _book(
        self,
        tx: UnitOfWork,
        community: Community,
        pair: tuple[Member, Member],
        kind: InterviewType,
        role: RolePreference,
        days: int,
        now: datetime,
        *,
        dry_run: bool = False,
        why: str = "",
    ) -> Session | str | None:
        """Book ``pair`` (or, ``dry_run``, only check it): the session, or why not."""
        if _blocked(*pair):
            return BLOCKED
        if {m.id for m in pair} & await suspended_members(tx, community.id, now):
            return SUSPENDED
        if not all(_ready(m) for m in pair):
            return "no_free_times"
        offered = await community_prompts(self._prompts, tx, community)
        if not offered.prompts(kind):
            raise Conflict(say.switched_off(kind))
        requests = pair_requests(community.id, *pair, kind, role, days, now)
        if dry_run:
            return await check_chosen(tx, community, requests, now, self._offload)
        return await book_chosen(tx, community, offered, requests, now, self._offload, why=why)

    # -- /mock schedule partner:@member --------------------------------------------------------

    async def invite(
        self, actor: Actor, who: str, kind: InterviewType, role: RolePreference, days: int
    ) -> OutboundMessage:
        """Ask ``who`` to practise ``kind`` with the actor; they get Accept and Decline."""
        now = self._clock.now()
        async with self._uow() as tx:
            community = await community_open_for_matching(tx, actor.community.id)
            me = await tx.members.get(actor.member.id)
            if me is None or not _ready(me):
                missing = (me.missing_profile_fields() if me else []) + (
                    [] if me and me.availability else ["availability"]
                )
                raise ProfileIncomplete(say.profile_first(missing))
            await refuse_if_suspended(tx, me.id, now)
            friend = await member_named(tx, community.id, who, option="partner")
            if friend.id == me.id:
                raise InvalidInput(
                    "partner", "That is you.", accepted="another member of this community"
                )
            await tx.rounds.lock_community(community.id)  # two invitations at once: one by one
            pending = await tx.friends.pending_from(me.id)
            for waiting in pending:
                if waiting.invitee_id == friend.id and waiting.interview_type is kind:
                    raise Conflict(say.already_invited(friend, kind, waiting.expires_at))
            if len(pending) >= MAX_PENDING:
                raise Conflict(say.too_many(MAX_PENDING))
            found = await self._book(
                tx, community, (me, friend), kind, role, days, now, dry_run=True
            )
            if found is not None:  # a block, no common time, roles: all read the same
                raise Conflict(say.cannot_arrange(friend, kind, days))
            request = FriendRequest(
                id=new_id(),
                community_id=community.id,
                requester_id=me.id,
                invitee_id=friend.id,
                interview_type=kind,
                role=role,
                days=days,
                created_at=now,
                expires_at=now + ANSWER_WITHIN,
            )
            await tx.friends.add(request)
            await tx.actions.add(
                ScheduledAction(
                    id=new_id(),
                    key=f"friend:{request.id}:lapse",
                    kind=ActionKind.FRIEND_LAPSE,
                    community_id=community.id,
                    due_at=request.expires_at,
                    payload={"friend_request_id": request.id},
                )
            )
            await queue_direct(
                tx,
                key=say.invitation_key(request.id),
                community_id=community.id,
                member_id=friend.id,
                now=now,
                message=say.invitation(
                    request,
                    me,
                    buttons=(
                        Button("Accept", encode(ACCEPT, request.id), ButtonStyle.SUCCESS),
                        Button("Decline", encode(DECLINE, request.id), ButtonStyle.SECONDARY),
                    ),
                ),
            )
        return say.invited(
            request,
            friend,
            Button("Withdraw invitation", encode(WITHDRAW, request.id), ButtonStyle.DANGER),
        )

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """Accept, Decline (the invited member) and Withdraw (the requester)."""
        request_id = action.arg(0)
        if action.verb == ACCEPT:
            return await self.accept(actor, request_id)
        if action.verb == DECLINE:
            return await self.decline(actor, request_id)
        return await self.withdraw(actor, request_id)

    async def _load(
        self, tx: UnitOfWork, actor: Actor, request_id: str, *, invitee: bool
    ) -> FriendRequest:
        request = await tx.friends.get(request_id, for_update=True)  # one press at a time
        if request is None or request.community_id != actor.community.id:
            raise NotFound("That invitation does not exist any more.")
        if invitee and request.invitee_id != actor.member.id:
            raise PermissionDenied("Only the invited member can answer this invitation.")
        if not invitee and request.requester_id != actor.member.id:
            raise PermissionDenied("Only the member who sent this invitation can withdraw it.")
        return request

    async def _settled(self, tx: UnitOfWork, request_id: str) -> OutboundMessage:
        """The answer to a press that came after another one settled the invitation."""
        now_stored = await tx.friends.get(request_id)
        status = now_stored.status if now_stored else FriendStatus.CANCELLED
        note = say.settled_note(status)
        return OutboundMessage(text=note, carrier=Carrier(note))

    async def accept(self, actor: Actor, request_id: str) -> OutboundMessage:
        """Book the pair at their first common time, or tell both kindly why not."""
        now = self._clock.now()
        async with self._uow() as tx:
            request = await self._load(tx, actor, request_id, invitee=True)
            if not await tx.friends.settle(request.id, FriendStatus.BOOKED, now):
                return await self._settled(tx, request.id)
            community = await tx.communities.get(request.community_id)
            people = await tx.members.get_many([request.requester_id, request.invitee_id])
            requester, friend = people.get(request.requester_id), people.get(request.invitee_id)
            if community is None or requester is None or friend is None:
                raise NotFound("That invitation does not exist any more.")
            outcome = await self._book(
                tx,
                community,
                (requester, friend),
                request.interview_type,
                request.role,
                request.days,
                now,
                why="you chose each other (an invitation, accepted)",
            )
            if isinstance(outcome, Session):
                await tx.friends.record(request.id, FriendStatus.BOOKED, outcome.id)
                text, note = say.booked(outcome, requester), say.booked_note(outcome)
                told = say.accepted(outcome, friend)
            else:
                await tx.friends.record(request.id, FriendStatus.UNARRANGED)
                common = outcome in NO_COMMON_TIME
                text = say.not_booked(requester, request, no_common_time=common)
                note = "Accepted, but no time could be booked."
                told = OutboundMessage(
                    title="Practice invitation",
                    text=say.not_booked(friend, request, no_common_time=common),
                    ephemeral=False,
                )
            await queue_direct(
                tx,
                key=f"friend:{request.id}:answer",
                community_id=community.id,
                member_id=requester.id,
                now=now,
                message=told,
            )
        tone = Tone.SUCCESS if isinstance(outcome, Session) else Tone.WARNING
        return OutboundMessage(text=text, tone=tone, carrier=Carrier(note))

    async def decline(self, actor: Actor, request_id: str) -> OutboundMessage:
        """No session; the requester is told kindly and pointed to the next round."""
        now = self._clock.now()
        async with self._uow() as tx:
            request = await self._load(tx, actor, request_id, invitee=True)
            if not await tx.friends.settle(request.id, FriendStatus.DECLINED, now):
                return await self._settled(tx, request.id)
            await queue_direct(
                tx,
                key=f"friend:{request.id}:answer",
                community_id=request.community_id,
                member_id=request.requester_id,
                now=now,
                message=say.declined(request, actor.member),
            )
        return OutboundMessage(
            text="Declined. They are told kindly, and nothing is booked.",
            carrier=Carrier("Declined."),
        )

    async def withdraw(self, actor: Actor, request_id: str) -> OutboundMessage:
        """The requester takes the invitation back; the invited member's copy says so."""
        now = self._clock.now()
        async with self._uow() as tx:
            request = await self._load(tx, actor, request_id, invitee=False)
            if not await tx.friends.settle(request.id, FriendStatus.CANCELLED, now):
                return await self._settled(tx, request.id)
            await queue_edit(
                tx,
                key=f"friend:{request.id}:invitation:withdrawn",
                community_id=request.community_id,
                original_key=say.invitation_key(request.id),
                now=now,
                message=say.invitation_closed(request, actor.member, FriendStatus.CANCELLED),
            )
        return OutboundMessage(
            text="Withdrawn: the invitation is closed.", carrier=Carrier("Withdrawn.")
        )

    # -- /mockadmin pair ------------------------------------------------------------------------

    async def admin_pair(
        self,
        actor: Actor,
        a: str,
        b: str,
        kind: InterviewType,
        role: RolePreference,
        days: int,
    ) -> OutboundMessage:
        """Book two members at their first common time by the round's rules, or say why not."""
        actor.require_admin()
        now = self._clock.now()
        async with self._uow() as tx:
            community = await tx.communities.get(actor.community.id)
            if community is None:
                raise NotFound("This community is not set up any more.")
            first = await member_named(tx, community.id, a, option="a")
            second = await member_named(tx, community.id, b, option="b")
            if first.id == second.id:
                raise InvalidInput("b", "That is the same member twice.", accepted="two members")
            for m in (first, second):
                if not _ready(m):
                    raise Conflict(say.admin_not_ready(m))
            outcome = await self._book(
                tx, community, (first, second), kind, role, days, now, why="an admin paired you"
            )
            if not isinstance(outcome, Session):
                raise Conflict(say.admin_why_not(first, second, days, outcome or ""))
            for m, other in ((first, second), (second, first)):
                await queue_direct(
                    tx,
                    key=f"{outcome.id}:hand-paired:{m.id}",
                    community_id=community.id,
                    member_id=m.id,
                    now=now,
                    message=say.hand_paired(outcome, other),
                )
        return say.admin_booked(outcome, first, second)


async def lapse_invitation(tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepOutcome:
    """An invitation nobody answered in time lapses: the requester is told kindly and the
    invited member's copy loses its buttons (a settled invitation stays as it is)."""
    request = await tx.friends.get(
        str(action.payload.get("friend_request_id", "")), for_update=True
    )
    if request is None or not await tx.friends.settle(request.id, FriendStatus.EXPIRED, now):
        return DONE
    people = await tx.members.get_many([request.requester_id, request.invitee_id])
    requester, friend = people.get(request.requester_id), people.get(request.invitee_id)
    if requester is None or friend is None:
        return DONE
    await queue_direct(
        tx,
        key=f"friend:{request.id}:answer",
        community_id=request.community_id,
        member_id=requester.id,
        now=now,
        message=say.lapsed(request, friend, ANSWER_WITHIN),
    )
    await queue_edit(
        tx,
        key=f"friend:{request.id}:invitation:lapsed",
        community_id=request.community_id,
        original_key=say.invitation_key(request.id),
        now=now,
        message=say.invitation_closed(request, requester, FriendStatus.EXPIRED),
    )
    return DONE
