"""Matching rounds and the live queue: the core's side of the pure engine in ``bot/matching``.

A round reads open requests, members, history and reliability in one transaction that
holds the community's round lock (an advisory lock on PostgreSQL, the write lock on
SQLite), runs the engine, and books every pair in that same transaction — so two rounds
running at once never pair a member twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import perf_counter

from bot.core.actions import encode
from bot.core.clock import Clock
from bot.core.errors import Conflict, NotFound, ProfileIncomplete
from bot.core.messages import Button, ButtonStyle, OutboundMessage, Tone, ts
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.models import (
    ActionKind,
    Community,
    InterviewRequest,
    OutboxItem,
    RoundRecord,
    ScheduledAction,
    Session,
)
from bot.core.packs import community_prompts
from bot.core.ports import Offload, PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.release import release
from bot.core.services.actor import Actor, new_id
from bot.core.services.match_booking import (
    HistoryHook,
    PromptContext,
    book_pairs,
    prompt_context,
    round_input,
    waited_message,
)
from bot.core.services.outbox import direct_item
from bot.core.services.reports import refuse_if_suspended, suspended_members
from bot.core.services.round_plan import (
    LEAD_TIME,
    plan_round,
    plan_round_away,
    reliability,
)
from bot.core.services.rounds import (
    community_open_for_matching,
    matching_paused,
    schedule_next_round,
)
from bot.core.vocab import InterviewType, RolePreference

__all__ = [
    "LEAD_TIME",
    "HistoryHook",
    "MatchingService",
    "RoundOutcome",
    "parts_played",
    "reliability",
    "waited_message",
]

log = logging.getLogger(__name__)

LIVE_WINDOW = timedelta(minutes=15)
#: Requests left out marked (and told) per statement.
MARK_BATCH = 250


def parts_played(session: Session, member_id: str) -> tuple[int, int]:
    """How many parts of ``session`` the member interviewed and was the candidate in."""
    if session.swap:
        return 1, 1
    return int(member_id == session.interviewer_id), int(member_id == session.candidate_id)


def _reason(text: str | None) -> str:
    """The reason part of a left-out text, without the changing next-chance time."""
    return (text or "").split(" Next chance")[0]


@dataclass(frozen=True)
class RoundOutcome:
    """What a matching round did: the sessions booked, the requests left out (with why) and how
    many it considered."""

    sessions: tuple[Session, ...]
    left_out: tuple[tuple[str, str], ...]
    considered: int


class MatchingService:
    """Matching rounds: reads open requests, runs the pure engine (``bot.matching``) and books
    every pair in one transaction; also ``/mock now``, the live queue."""

    metrics: Metrics = NO_METRICS

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        prompts: PromptSource,
        offload: Offload | None = None,
        *,
        more_history: HistoryHook | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        #: Pairings the engine should treat as just met (a mock loop's earlier partners).
        self._more_history = more_history
        #: Where the engine runs (the app: a worker process); None: right here, on the loop.
        self._offload = offload

    # -- scheduling rounds -----------------------------------------------------------------

    async def ensure_round_scheduled(self, community: Community) -> None:
        """Store the community's next round (idempotent)."""
        async with self._uow() as tx:
            await self._schedule_next_round(tx, community, self._clock.now())

    async def _schedule_next_round(
        self, tx: UnitOfWork, community: Community, now: datetime
    ) -> None:
        await schedule_next_round(tx, community, now)

    async def scheduled_round(self, tx: UnitOfWork, action: ScheduledAction, now: datetime) -> None:
        """Run a community's scheduled round (a stored step) and store its next one."""
        community = await tx.communities.get(action.community_id)
        if community is None:
            return
        await self._round(tx, community, now, live=False)
        await self._schedule_next_round(tx, community, now + timedelta(seconds=1))

    async def run_round(self, community_id: str) -> RoundOutcome:
        """Run a round for the community now (admins and tests)."""
        now = self._clock.now()
        async with self._uow() as tx:
            community = await tx.communities.get(community_id)
            if community is None:
                raise NotFound("No such community.")
            return await self._round(tx, community, now, live=False)

    # -- the live queue ---------------------------------------------------------------------

    async def now(
        self, actor: Actor, kind: InterviewType, role: RolePreference = RolePreference.SWAP
    ) -> OutboundMessage:
        """``/mock now``: a live request for the next minutes, matched at once if a partner is
        waiting."""
        pref = role
        now = self._clock.now()
        async with self._uow() as tx:
            community = await community_open_for_matching(tx, actor.community.id)
            member = await tx.members.get(actor.member.id)
            if member is not None:
                await refuse_if_suspended(tx, member.id, now)
            if member is None or member.missing_profile_fields():
                missing = member.missing_profile_fields() if member else ["profile"]
                raise ProfileIncomplete(
                    "Before joining the live queue, set your "
                    + ", ".join(missing)
                    + " (`/mock profile`)."
                )
            for existing in await tx.requests.open_for_member(member.id):
                if existing.interview_type is kind:
                    raise Conflict(
                        f"You already have an open {kind.label} request; cancel it first with `/mock cancel`."
                    )
            if await tx.sessions.active_for_members([member.id]):
                busy = [
                    s
                    for s in await tx.sessions.active_for_members([member.id])
                    if s.start <= now + LIVE_WINDOW + timedelta(minutes=s.minutes)
                    and s.start >= now - timedelta(minutes=s.minutes)
                ]
                if busy:
                    raise Conflict("You already have a session around now.")
            request = InterviewRequest(
                id=new_id(),
                community_id=actor.community.id,
                member_id=member.id,
                interview_type=kind,
                role=pref,
                window_start=now,
                window_end=now + LIVE_WINDOW,
                created_at=now,
                live=True,
            )
            await tx.requests.add(request)
            await tx.actions.add(
                ScheduledAction(
                    id=new_id(),
                    key=f"expire:{request.id}",
                    kind=ActionKind.EXPIRE_REQUEST,
                    community_id=actor.community.id,
                    due_at=now + LIVE_WINDOW,
                    payload={"request_id": request.id},
                )
            )
            outcome = await self._round(tx, community, now, live=True)
            mine = [s for s in outcome.sessions if member.id in s.member_ids]
            waiting = [
                r
                for r in await tx.requests.list_open(actor.community.id)
                if r.interview_type is kind and r.member_id != member.id
            ]
        if mine:
            s = mine[0]
            return OutboundMessage(
                title="Paired!",
                text=f"Your {kind.label} session starts {ts(s.start, 'R')} ({ts(s.start, 't')}). "
                "Head to your pair space: the details are there.",
                tone=Tone.SUCCESS,
            )
        hint = (
            f"{len(waiting)} member(s) have {kind.label} requests for later this week; "
            "none fits right now."
            if waiting
            else f"Nobody else is waiting for {kind.label} right now."
        )
        return OutboundMessage(
            title="You're in the live queue",
            text=f"{hint} You stay in the queue for 15 minutes (until {ts(now + LIVE_WINDOW, 't')}); "
            "you'll get a message the moment someone fits.",
            buttons=(
                Button("Leave the queue", encode("request.cancel", request.id), ButtonStyle.DANGER),
            ),
        )

    # -- one round --------------------------------------------------------------------------

    async def _round(
        self, tx: UnitOfWork, community: Community, now: datetime, *, live: bool
    ) -> RoundOutcome:
        # Not with the collector paused (bot/core/gc_pause.py): everything allocated meanwhile
        # would stay young, and the first collection after the round walked all of it (0.8 s
        # holding every thread at 10,000 requests), where young collections along the way
        # move it to the older generations a piece at a time.
        held: list[object] = []
        outcome = await self._round_body(tx, community, now, live=live, held=held)
        # Hundreds of thousands of objects die with the round: freed in one go, on the loop or
        # on a thread, their deallocation held the loop for 50-60 ms at 10,000 requests; taken
        # apart on a thread (bot/core/release.py), every free is small and the loop gets its
        # turn between them.
        await asyncio.to_thread(release, held)
        return outcome

    async def _round_body(
        self,
        tx: UnitOfWork,
        community: Community,
        now: datetime,
        *,
        live: bool,
        held: list[object],
    ) -> RoundOutcome:
        """The round; ``held`` keeps what it read and computed, to be let go of off the loop."""
        started = perf_counter()
        await tx.rounds.lock_community(community.id)
        if matching_paused(community):
            return RoundOutcome((), (), 0)
        offered = await community_prompts(
            self._prompts, tx, community
        )  # a type without prompts is off
        # Suspended members' requests stay open but are left out until the suspension ends.
        suspended = await suspended_members(tx, community.id, now)
        open_requests = [
            r for r in await tx.requests.list_open(community.id) if r.member_id not in suspended
        ]
        # Asked once per type, not once per request (the bank filters its prompts each time).
        offered_kinds = {k for k in {r.interview_type for r in open_requests} if offered.prompts(k)}
        requests = [
            r for r in open_requests if r.window_end > now and r.interview_type in offered_kinds
        ]
        if not requests:
            return RoundOutcome((), (), 0)
        plan_input, members = await round_input(
            tx, community, requests, now, live=live, more_history=self._more_history, held=held
        )
        # Expanding every request's starts and solving take seconds in a large community:
        # the app runs them in a worker process, so the event loop keeps answering meanwhile.
        held += [open_requests, members, plan_input]
        context: PromptContext | None = None
        if self._offload is None:
            plan = plan_round(plan_input)
        else:
            # While the workers match, the prompt history and feedback the booking needs
            # are read for every requester (a superset of those paired), off the critical path.
            solving = asyncio.ensure_future(plan_round_away(self._offload, plan_input))
            try:
                context = await prompt_context(tx, community.id, [r.member_id for r in requests])
            except BaseException:
                solving.cancel()
                await asyncio.gather(solving, return_exceptions=True)
                raise
            plan = await solving
        held += [plan, context]
        if plan.result is None:
            return RoundOutcome((), (), 0)
        result = plan.result
        by_id = {r.id: r for r in requests}
        booked = await book_pairs(
            tx, community, offered, result.pairs, by_id, members, now, held=held, context=context
        )
        left_out: list[tuple[str, str]] = []
        for first in range(
            0, len(result.unmatched), MARK_BATCH
        ):  # a piece at a time: the loop's turns
            marks: list[tuple[str, int, str]] = []
            notes: list[OutboxItem] = []
            for miss in result.unmatched[first : first + MARK_BATCH]:
                req = by_id[miss.request_id]
                left_out.append((req.member_id, miss.text))
                marks.append((req.id, req.times_left_out + 1, miss.text))
                if _reason(req.last_left_out_reason) != _reason(miss.text) and not live:
                    # The engine gives the time as data; a token shows it in the member's zone.
                    when = (
                        f" Next chance: the next round, {ts(miss.next_chance, 'f')}."
                        if miss.next_chance
                        else ""
                    )
                    notes.append(
                        direct_item(
                            f"leftout:{req.id}:{req.times_left_out + 1}",
                            community.id,
                            req.member_id,
                            OutboundMessage(
                                title=f"No {req.interview_type.label} partner yet",
                                text=f"{miss.text}{when} You keep your place, with priority next round.",
                                ephemeral=False,
                            ),
                            now,
                        )
                    )
            await tx.booking.left_out(marks)
            await tx.booking.queue(notes)
        await tx.rounds.add(
            RoundRecord(
                id=new_id(),
                community_id=community.id,
                ran_at=now,
                considered=plan.considered,
                paired=tuple(
                    (p.member_ids[0], p.member_ids[1], p.start.isoformat()) for p in result.pairs
                ),
                left_out=tuple(
                    (by_id[u.request_id].member_id, u.code, u.text) for u in result.unmatched
                ),
            )
        )
        self.metrics.round_finished(
            "live" if live else "scheduled",
            len(plan.considered),
            len(booked),
            perf_counter() - started,
        )
        return RoundOutcome(tuple(booked), tuple(left_out), len(plan.considered))

    async def why_not_matched(
        self, community_id: str, member_id: str
    ) -> list[tuple[datetime, str]]:
        """For admins: the member's outcomes in recent rounds."""
        async with self._uow() as tx:
            rounds = await tx.rounds.latest(community_id, limit=50)
        out: list[tuple[datetime, str]] = []
        for rec in rounds:
            for mid, _code, text in rec.left_out:
                if mid == member_id:
                    out.append((rec.ran_at, text))
            for a, b, start in rec.paired:
                if member_id in (a, b):
                    out.append((rec.ran_at, f"paired for {start}"))
        return out
