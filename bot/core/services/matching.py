"""Matching rounds and the live queue: the core's side of the pure engine in ``bot/matching``.

A round reads open requests, members, history and reliability in one transaction that
holds the community's round lock (an advisory lock on PostgreSQL, the write lock on
SQLite), runs the engine, and books every pair in that same transaction — so two rounds
running at once never pair a member twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import perf_counter
from typing import TypeVar

from bot.core import room
from bot.core.actions import encode
from bot.core.clock import Clock
from bot.core.errors import Conflict, NotFound, ProfileIncomplete
from bot.core.feedback_models import Feedback
from bot.core.loop_debrief import GUIDE_NOTE
from bot.core.messages import Button, ButtonStyle, OutboundMessage, Tone, message_to_dict, ts
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.models import (
    ActionKind,
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    OutboxItem,
    PromptHistory,
    RoundRecord,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.packs import community_prompts
from bot.core.ports import Offload, PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.prompt_selection import choose_prompt, weakest_dimensions
from bot.core.ratings import RECENT_VERDICTS, community_mean
from bot.core.services import session_text as say
from bot.core.services.actor import Actor, new_id
from bot.core.services.outbox import session_space
from bot.core.services.reports import refuse_if_suspended, suspended_members
from bot.core.services.round_plan import (
    LEAD_TIME,
    RoundInput,
    plan_round,
    plan_round_away,
    reliability,
)
from bot.core.services.round_plan import seed_of as _seed
from bot.core.services.rounds import (
    community_open_for_matching,
    matching_paused,
    schedule_next_round,
)
from bot.core.services.rounds import round_up as _round_up
from bot.core.services.session_plan import session_steps
from bot.core.services.session_voice import room_steps
from bot.core.services.sessions import invite_for
from bot.core.vocab import InterviewType, Level, RolePreference
from bot.matching.model import Pair

__all__ = [
    "LEAD_TIME",
    "MatchingService",
    "RoundOutcome",
    "parts_played",
    "reliability",
    "waited_message",
]

log = logging.getLogger(__name__)

LIVE_WINDOW = timedelta(minutes=15)
#: Members per read of a round. Each read's rows become objects in one go on the event loop,
#: so a large community's reads are split: every piece holds the loop a few milliseconds.
READ_CHUNK = 100
#: Pairs booked per batch: each batch is built on a thread, then written in four statements
#: (its rows are bound on the loop: 50 pairs are about 300 rows, a few milliseconds).
BOOK_BATCH = 50
#: Requests left out marked (and told) per statement.
MARK_BATCH = 250
_T = TypeVar("_T")
#: More pairings to count as met at the given time, from the round's requests (mock loops).
HistoryHook = Callable[
    [UnitOfWork, Sequence[InterviewRequest], datetime], Awaitable[Mapping[frozenset[str], datetime]]
]


async def _chunked(read: Callable[[Sequence[str]], Awaitable[_T]], ids: Sequence[str]) -> list[_T]:
    """``read`` of every :data:`READ_CHUNK` ids in turn (reads whose result is per member)."""
    return [await read(ids[i : i + READ_CHUNK]) for i in range(0, len(ids), READ_CHUNK)]


def parts_played(session: Session, member_id: str) -> tuple[int, int]:
    """How many parts of ``session`` the member interviewed and was the candidate in."""
    if session.swap:
        return 1, 1
    return int(member_id == session.interviewer_id), int(member_id == session.candidate_id)


def waited_message(type_label: str, days: int) -> OutboundMessage:
    """To the member whose request waited, once: the pair space shows only shared reasons."""
    span = "1 day" if days == 1 else f"{days} days"
    return OutboundMessage(
        title=f"{type_label} partner found",
        text=f"You waited {span} for this {type_label} session; thanks for your patience. "
        "The details are in your pair space.",
        ephemeral=False,
    )


def _reason(text: str | None) -> str:
    """The reason part of a left-out text, without the changing next-chance time."""
    return (text or "").split(" Next chance")[0]


@dataclass(frozen=True)
class Bookings:
    """A batch of a round's pairs, ready to write: sessions, their steps, and the messages (each
    session's announcement, then the "you waited" notes of its members)."""

    sessions: list[Session]
    steps: list[ScheduledAction]
    messages: list[OutboxItem]


def _plan_bookings(
    community: Community,
    prompts: PromptSource,
    pairs: Sequence[Pair],
    requests: dict[str, InterviewRequest],
    members: dict[str, Member],
    seen: PromptHistory,
    about: dict[str, list[Feedback]],
    now: datetime,
) -> Bookings:
    """The rows of a batch of pairs (pure: runs on a thread). Each session's prompts are chosen
    for its candidates; its calendar file goes with its announcement into the pair space."""
    out = Bookings([], [], [])
    for pair in pairs:
        session = _session_for(community, prompts, pair, requests, members, seen, about, now)
        out.sessions.append(session)
        out.steps.extend(session_steps(session, community.settings.reminder_minutes, now))
        out.steps.extend(room_steps(session, community.settings, now))
        pair_members = {m: members[m] for m in (session.interviewer_id, session.candidate_id)}
        out.messages.append(
            OutboxItem(
                id=new_id(),
                key=f"{session.id}:announce",
                community_id=community.id,
                member_id=None,
                space_ref=session_space(session.id),
                created_at=now,
                next_attempt_at=now,
                message=message_to_dict(
                    say.announcement(session, pair_members, invite_for(session, pair_members, now))
                ),
            )
        )
        for rid, days in zip(pair.request_ids, pair.waited_days, strict=True):
            if days >= 1:  # said once, to the member who waited only (the pair space is shared)
                out.messages.append(
                    _direct(
                        f"{session.id}:waited:{rid}",
                        community.id,
                        requests[rid].member_id,
                        waited_message(session.interview_type.label, days),
                        now,
                    )
                )
    return out


def _direct(
    key: str, community_id: str, member_id: str, message: OutboundMessage, now: datetime
) -> OutboxItem:
    """An ordinary direct message (no pair-space fallback), as ``queue_directs`` queues it."""
    return OutboxItem(
        id=new_id(),
        key=key,
        community_id=community_id,
        member_id=member_id,
        space_ref=None,
        message=message_to_dict(message),
        created_at=now,
        next_attempt_at=now,
    )


def _session_for(
    community: Community,
    prompts: PromptSource,
    pair: Pair,
    requests: dict[str, InterviewRequest],
    members: dict[str, Member],
    seen: PromptHistory,
    about: dict[str, list[Feedback]],
    now: datetime,
) -> Session:
    interviewer, candidate = members[pair.interviewer_first], members[pair.candidate_first]
    swap = pair.mode == "swap"
    kind = requests[pair.request_ids[0]].interview_type
    candidates = prompts.prompts(kind)
    prompt_ids: list[str] = []
    reasons: list[str] = []
    parts = [(interviewer, candidate)] + ([(candidate, interviewer)] if swap else [])
    for asker, answerer in parts:
        # Raw revealed scores (no rater calibration), read once for the round.
        weak = weakest_dimensions(answerer.id, kind, about.get(answerer.id, ()))
        choice = choose_prompt(
            candidates,
            level=answerer.level or Level.MID,
            track=answerer.track or "any",
            seen_by_candidate=seen.as_candidate.get(answerer.id, {}),
            candidate_ran=seen.as_interviewer.get(answerer.id, {}),
            interviewer_seen=seen.as_candidate.get(asker.id, {}),
            weakest_dimensions=weak,
            prefer_interviewer_seen=community.settings.prefer_prompt_interviewer_has_seen,
            exclude=prompt_ids,
            seed=_seed(":".join(sorted(pair.member_ids)), pair.start),
            interview_type=kind,
            rubric=prompts.rubric_for_type(kind),
        )
        prompt_ids.append(choice.prompt.id)
        in_loop = any(
            requests[rid].member_id == answerer.id and requests[rid].loop_id
            for rid in pair.request_ids
        )
        reasons.append(f"{choice.reason}\n{GUIDE_NOTE}" if in_loop else choice.reason)
    links = _room(kind, community.settings)
    return Session(
        id=new_id(),
        community_id=community.id,
        interview_type=kind,
        interviewer_id=interviewer.id,
        candidate_id=candidate.id,
        swap=swap,
        start=pair.start,
        minutes=community.settings.session_minutes,
        state=SessionState.PROPOSED,
        request_ids=pair.request_ids,
        prompt_ids=tuple(prompt_ids),
        prompt_reasons=tuple(reasons),
        match_reasons=pair.reasons,
        created_at=now,
        call_url=links.call,
        work_url=links.work,
    )


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
        # Hundreds of thousands of objects die with the round: freed here, their deallocation
        # held the event loop for about 60 ms at 10,000 requests; freed on a thread, the loop
        # gets its turn every few milliseconds meanwhile.
        await asyncio.to_thread(held.clear)
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
        member_ids = sorted({r.member_id for r in requests})
        members = {
            k: v
            for part in await _chunked(tx.members.get_many, member_ids)
            for k, v in part.items()
        }
        # Aggregated in the database for this round's members only: the community's whole
        # history is never loaded (docs/scaling.md).
        past = await tx.sessions.pairing_history(community.id, member_ids)
        no_shows = [r for part in await _chunked(tx.no_shows.for_members, member_ids) for r in part]
        history, given, taken = past.last_met, past.given, past.taken
        if self._more_history is not None:
            history = {**history, **(await self._more_history(tx, requests, now))}
        # Candidates' ratings of their interviewers, summed per interviewer in one grouped
        # query, smoothed toward the community's mean (bot/core/ratings.py).
        rating_totals = await tx.feedback.interviewer_rating_totals(community.id)
        rating_mean = community_mean(rating_totals)
        # Candidates' recent verdicts (one grouped query): who needs a good interviewer most.
        verdicts = await tx.feedback.recent_verdicts(community.id, now - RECENT_VERDICTS)
        busy: dict[str, list[tuple[datetime, datetime]]] = {}
        active = {
            s.id: s
            for part in await _chunked(tx.sessions.active_for_members, member_ids)
            for s in part
        }
        for s in active.values():
            for mid in s.member_ids:
                busy.setdefault(mid, []).append((s.start, s.start + timedelta(minutes=s.minutes)))
        absences: dict[str, list[datetime]] = {}
        for report in no_shows:
            absences.setdefault(report.absent_id, []).append(report.reported_at)

        minutes = community.settings.session_minutes
        next_round = _round_up(
            now + timedelta(seconds=1), max(1, community.settings.match_every_minutes)
        )
        plan_input = RoundInput(
            requests=tuple(requests),
            members={m: members[m] for m in member_ids if m in members},
            busy={k: tuple(v) for k, v in busy.items()},
            absences={k: tuple(v) for k, v in absences.items()},
            history=history,
            given=given,
            taken=taken,
            rating_totals={m: rating_totals[m] for m in member_ids if m in rating_totals},
            rating_mean=rating_mean,
            verdicts={m: verdicts[m] for m in member_ids if m in verdicts},
            reputation_weight=community.settings.reputation_weight,
            now=now,
            live=live,
            session_minutes=minutes,
            seed=_seed(f"{community.platform.value}:{community.external_id}", now),
            next_round_at=next_round,
        )
        # Expanding every request's starts and solving take seconds in a large community:
        # the app runs them in a worker process, so the event loop keeps answering meanwhile.
        held += [open_requests, members, past, no_shows, rating_totals, active, plan_input]
        plan = (
            plan_round(plan_input)
            if self._offload is None
            else await plan_round_away(self._offload, plan_input)
        )
        held.append(plan)
        if plan.result is None:
            return RoundOutcome((), (), 0)
        result = plan.result
        by_id = {r.id: r for r in requests}
        booked: list[Session] = []
        # Once per round, not per pair: which prompts each member has seen, as candidate and
        # as interviewer, and the feedback about everyone being paired (one query for all).
        paired = sorted({m for p in result.pairs for m in p.member_ids})
        # One read: the repository streams the rows raw and decodes them on a thread.
        seen = await tx.sessions.prompt_history(community.id, paired)
        about: dict[str, list[Feedback]] = {}
        for feedback in await _chunked(tx.feedback.about_members, paired):
            for f in feedback:
                about.setdefault(f.subject_id, []).append(f)
        held += [by_id, seen, about]
        # Booked a batch at a time: each batch's sessions, prompts, calendar files and
        # messages are built on a thread (pure work: the loop keeps its turn), then written in
        # four statements whatever the batch's size (``BookingRepo``).
        for first in range(0, len(result.pairs), BOOK_BATCH):
            batch = await asyncio.to_thread(
                _plan_bookings,
                community,
                offered,
                result.pairs[first : first + BOOK_BATCH],
                by_id,
                members,
                seen,
                about,
                now,
            )
            await tx.booking.book(batch.sessions, batch.steps, batch.messages)
            booked += batch.sessions
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
                        _direct(
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


def _room(kind: InterviewType, settings: CommunitySettings) -> room.RoomLinks:
    """The new session's own call and work-surface links (bot.core.room)."""
    return room.links_for(
        kind,
        call_link=settings.call_link,
        coding_editor=settings.coding_editor,
        design_board=settings.design_board,
    )
