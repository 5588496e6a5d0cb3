"""Booking a matching round's pairs, and what a round reads first: shared by the rounds
(:mod:`bot.core.services.matching`) and by pairs chosen beforehand (a friend's invitation,
an admin's hand pairing, :mod:`bot.core.services.friends`), so every pair is booked one way.

:func:`round_input` reads what the engine needs about some requests' members (profiles,
booked sessions, no-shows, pairing history, ratings); :func:`book_pairs` books the engine's
pairs: prompts chosen for each candidate, the session, its steps and announcement, the
"you waited" notes. :func:`book_chosen` runs the engine on exactly two requests, so a chosen
pair meets the same rules as a round's (availability, blackouts, other sessions, blocks,
roles and levels) at their first common time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core import room
from bot.core.bank import Prompt
from bot.core.feedback_models import Feedback
from bot.core.loop_debrief import GUIDE_NOTE
from bot.core.messages import OutboundMessage
from bot.core.models import (
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    OutboxItem,
    PromptHistory,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.ports import Offload, PromptSource, UnitOfWork
from bot.core.prompt_selection import choose_prompt, prompt_tiers, weakest_dimensions
from bot.core.ratings import RECENT_VERDICTS, community_mean
from bot.core.services import session_text as say
from bot.core.services.actor import new_id
from bot.core.services.outbox import direct_item, outbox_item, session_space
from bot.core.services.round_plan import RoundInput, plan_round, plan_round_away
from bot.core.services.round_plan import seed_of as _seed
from bot.core.services.rounds import round_up as _round_up
from bot.core.services.session_plan import session_steps
from bot.core.services.session_voice import room_steps
from bot.core.services.sessions import invite_for
from bot.core.vocab import InterviewType, Level
from bot.matching.model import Pair

#: Members per read of a round. Each read's rows become objects in one go on the event loop,
#: so a large community's reads are split: every piece holds the loop a few milliseconds.
READ_CHUNK = 100
#: Pairs booked per batch: each batch is built on a thread, then written in four statements
#: (its rows are bound on the loop: 50 pairs are about 300 rows, a few milliseconds).
BOOK_BATCH = 50
_T = TypeVar("_T")
#: More pairings to count as met at the given time, from the round's requests (mock loops).
HistoryHook = Callable[
    [UnitOfWork, Sequence[InterviewRequest], datetime], Awaitable[Mapping[frozenset[str], datetime]]
]


async def chunked(read: Callable[[Sequence[str]], Awaitable[_T]], ids: Sequence[str]) -> list[_T]:
    """``read`` of every :data:`READ_CHUNK` ids in turn (reads whose result is per member)."""
    return [await read(ids[i : i + READ_CHUNK]) for i in range(0, len(ids), READ_CHUNK)]


def waited_message(type_label: str, days: int) -> OutboundMessage:
    """To the member whose request waited, once: the pair space shows only shared reasons."""
    span = "1 day" if days == 1 else f"{days} days"
    return OutboundMessage(
        title=f"{type_label} partner found",
        text=f"You waited {span} for this {type_label} session; thanks for your patience. "
        "The details are in your pair space.",
        ephemeral=False,
    )


class RoundPrompts:
    """A round's prompts for its bookings, worked out once per round rather than once per
    pair: each type's candidates and rubric, and how far each prompt is from each
    (type, level, track) of candidate (:func:`prompt_tiers`)."""

    def __init__(self, source: PromptSource) -> None:
        self.source = source
        self._candidates: dict[InterviewType, tuple[Prompt, ...]] = {}
        self._tiers: dict[tuple[InterviewType, Level, str], dict[str, tuple[int, int]]] = {}

    def candidates(self, kind: InterviewType) -> tuple[Prompt, ...]:
        """The type's prompts."""
        found = self._candidates.get(kind)
        if found is None:
            found = self._candidates[kind] = tuple(self.source.prompts(kind))
        return found

    def tiers(self, kind: InterviewType, level: Level, track: str) -> dict[str, tuple[int, int]]:
        """:func:`prompt_tiers` of the type's prompts for a candidate's level and track."""
        key = (kind, level, track)
        found = self._tiers.get(key)
        if found is None:
            found = self._tiers[key] = prompt_tiers(self.candidates(kind), level, track)
        return found


@dataclass(frozen=True)
class Bookings:
    """A batch of a round's pairs, ready to write: sessions, their steps, and the messages (each
    session's announcement, then the "you waited" notes of its members)."""

    sessions: list[Session]
    steps: list[ScheduledAction]
    messages: list[OutboxItem]


def plan_bookings(
    community: Community,
    prompts: RoundPrompts,
    pairs: Sequence[Pair],
    requests: dict[str, InterviewRequest],
    members: dict[str, Member],
    context: PromptContext,
    now: datetime,
) -> Bookings:
    """The rows of a batch of pairs (pure: runs on a thread). Each session's prompts are chosen
    for its candidates; its calendar file goes with its announcement into the pair space."""
    out = Bookings([], [], [])
    for pair in pairs:
        session = _session_for(community, prompts, pair, requests, members, context, now)
        out.sessions.append(session)
        out.steps.extend(session_steps(session, community.settings.reminder_minutes, now))
        out.steps.extend(room_steps(session, community.settings, now))
        pair_members = {m: members[m] for m in (session.interviewer_id, session.candidate_id)}
        out.messages.append(
            outbox_item(
                f"{session.id}:announce",
                community.id,
                say.announcement(session, pair_members, invite_for(session, pair_members, now)),
                now,
                space_ref=session_space(session.id),
            )
        )
        for rid, days in zip(pair.request_ids, pair.waited_days, strict=True):
            if days >= 1:  # said once, to the member who waited only (the pair space is shared)
                out.messages.append(
                    direct_item(
                        f"{session.id}:waited:{rid}",
                        community.id,
                        requests[rid].member_id,
                        waited_message(session.interview_type.label, days),
                        now,
                    )
                )
    return out


def _session_for(
    community: Community,
    prompts: RoundPrompts,
    pair: Pair,
    requests: dict[str, InterviewRequest],
    members: dict[str, Member],
    context: PromptContext,
    now: datetime,
) -> Session:
    seen = context.seen
    interviewer, candidate = members[pair.interviewer_first], members[pair.candidate_first]
    swap = pair.mode == "swap"
    kind = requests[pair.request_ids[0]].interview_type
    candidates = prompts.candidates(kind)
    prompt_ids: list[str] = []
    reasons: list[str] = []
    parts = [(interviewer, candidate)] + ([(candidate, interviewer)] if swap else [])
    for asker, answerer in parts:
        # Raw revealed scores (no rater calibration), read once for the round.
        weak = weakest_dimensions(answerer.id, kind, context.about.get(answerer.id, ()))
        level, track = answerer.level or Level.MID, answerer.track or "any"
        choice = choose_prompt(
            candidates,
            level=level,
            track=track,
            seen_by_candidate=seen.as_candidate.get(answerer.id, {}),
            candidate_ran=seen.as_interviewer.get(answerer.id, {}),
            interviewer_seen=seen.as_candidate.get(asker.id, {}),
            weakest_dimensions=weak,
            prefer_interviewer_seen=community.settings.prefer_prompt_interviewer_has_seen,
            exclude=prompt_ids,
            seed=_seed(":".join(sorted(pair.member_ids)), pair.start),
            interview_type=kind,
            rubric=prompts.source.rubric_for_type(kind),
            tiers=prompts.tiers(kind, level, track),
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


async def round_input(
    tx: UnitOfWork,
    community: Community,
    requests: Sequence[InterviewRequest],
    now: datetime,
    *,
    live: bool,
    more_history: HistoryHook | None = None,
    held: list[object] | None = None,
) -> tuple[RoundInput, dict[str, Member]]:
    """What the engine needs about ``requests`` and their members, read in ``tx``
    (``more_history``: pairings to count as just met, a mock loop's earlier partners;
    ``held``: where what was read is kept, for the caller to let go of off the event loop)."""
    member_ids = sorted({r.member_id for r in requests})
    members = {
        k: v for part in await chunked(tx.members.get_many, member_ids) for k, v in part.items()
    }
    # Aggregated in the database for this round's members only: the community's whole
    # history is never loaded (docs/scaling.md).
    past = await tx.sessions.pairing_history(community.id, member_ids)
    no_shows = [r for part in await chunked(tx.no_shows.for_members, member_ids) for r in part]
    history, given, taken = past.last_met, past.given, past.taken
    if more_history is not None:
        history = {**history, **(await more_history(tx, requests, now))}
    # Candidates' ratings of their interviewers, summed per interviewer in one grouped
    # query, smoothed toward the community's mean (bot/core/ratings.py).
    rating_totals = await tx.feedback.interviewer_rating_totals(community.id)
    rating_mean = community_mean(rating_totals)
    # Candidates' recent verdicts (one grouped query): who needs a good interviewer most.
    verdicts = await tx.feedback.recent_verdicts(community.id, now - RECENT_VERDICTS)
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    active = {
        s.id: s for part in await chunked(tx.sessions.active_for_members, member_ids) for s in part
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
    if held is not None:
        held += [past, no_shows, rating_totals, verdicts, active, busy, absences]
    return plan_input, members


@dataclass(frozen=True)
class PromptContext:
    """What choosing the members' prompts needs, read once per round: which prompts each has
    seen, as candidate and as interviewer, and the feedback about each."""

    seen: PromptHistory
    about: dict[str, list[Feedback]]


async def prompt_context(
    tx: UnitOfWork, community_id: str, member_ids: Sequence[str]
) -> PromptContext:
    """:class:`PromptContext` of these members (the prompt history in one read, streamed raw
    and decoded on a thread; the feedback a chunk of members at a time)."""
    wanted = sorted(set(member_ids))
    seen = await tx.sessions.prompt_history(community_id, wanted)
    about: dict[str, list[Feedback]] = {}
    for feedback in await chunked(tx.feedback.about_members, wanted):
        for f in feedback:
            about.setdefault(f.subject_id, []).append(f)
    return PromptContext(seen, about)


async def book_pairs(
    tx: UnitOfWork,
    community: Community,
    offered: PromptSource,
    pairs: Sequence[Pair],
    by_id: dict[str, InterviewRequest],
    members: dict[str, Member],
    now: datetime,
    *,
    held: list[object] | None = None,
    context: PromptContext | None = None,
) -> list[Session]:
    """Book the engine's ``pairs`` in ``tx``: sessions, steps, announcements, notes
    (``held``: as for :func:`round_input`). ``context``: the paired members'
    :func:`prompt_context` when already read (a round reads it while the engine works), else
    it is read here."""
    booked: list[Session] = []
    if context is None:
        context = await prompt_context(tx, community.id, [m for p in pairs for m in p.member_ids])
    if held is not None:
        held += [by_id, context]
    # Booked a batch at a time: each batch's sessions, prompts, calendar files and
    # messages are built on a thread (pure work: the loop keeps its turn), then written in
    # four statements whatever the batch's size (``BookingRepo``).
    round_prompts = RoundPrompts(offered)

    def plan(first: int) -> asyncio.Future[Bookings]:
        return asyncio.ensure_future(
            asyncio.to_thread(
                plan_bookings,
                community,
                round_prompts,
                pairs[first : first + BOOK_BATCH],
                by_id,
                members,
                context,
                now,
            )
        )

    # The next batch is built while this one is written: the thread works while the
    # database does (one batch is planned at a time, so the shared caches see one thread).
    starts = range(0, len(pairs), BOOK_BATCH)
    pending = plan(0) if pairs else None
    try:
        for first in starts:
            assert pending is not None
            batch = await pending
            pending = plan(first + BOOK_BATCH) if first + BOOK_BATCH < len(pairs) else None
            await tx.booking.book(batch.sessions, batch.steps, batch.messages)
            booked += batch.sessions
    finally:
        if pending is not None:  # a write failed: let the batch being planned finish unused
            await asyncio.gather(pending, return_exceptions=True)
    return booked


async def _plan_chosen(
    tx: UnitOfWork,
    community: Community,
    pair: tuple[InterviewRequest, InterviewRequest],
    now: datetime,
    offload: Offload | None,
) -> tuple[Pair | str, dict[str, Member]]:
    await tx.rounds.lock_community(community.id)
    plan_input, members = await round_input(tx, community, pair, now, live=False)
    plan = plan_round(plan_input) if offload is None else await plan_round_away(offload, plan_input)
    result = plan.result
    if result is None or not result.pairs:
        codes = {u.request_id: u.code for u in (result.unmatched if result else ())}
        return codes.get(pair[0].id) or codes.get(pair[1].id) or "no_free_times", members
    return result.pairs[0], members


async def check_chosen(
    tx: UnitOfWork,
    community: Community,
    pair: tuple[InterviewRequest, InterviewRequest],
    now: datetime,
    offload: Offload | None = None,
) -> str | None:
    """Whether :func:`book_chosen` would book these two now: None, or the engine's reason code."""
    found, _ = await _plan_chosen(tx, community, pair, now, offload)
    return found if isinstance(found, str) else None


async def book_chosen(
    tx: UnitOfWork,
    community: Community,
    offered: PromptSource,
    pair: tuple[InterviewRequest, InterviewRequest],
    now: datetime,
    offload: Offload | None = None,
    *,
    why: str | None = None,
) -> Session | str:
    """Book two members' requests with each other at their first common time, by a round's
    rules, holding the community's round lock (so no round books either of them meanwhile).
    The requests are stored as matched to the session. Returns the session, or the engine's
    reason code (``bot.matching.model.UnmatchedCode``) for the first of the two. ``why``
    leads the session's "why this pairing" (the engine's other reasons, but its mode and
    time, are about choosing among many)."""
    found, members = await _plan_chosen(tx, community, pair, now, offload)
    if isinstance(found, str):
        return found
    if why is not None:
        found = replace(
            found, reasons=(why, found.reasons[0], "the earliest time you both have free")
        )
    for request in pair:
        await tx.requests.add(request)
    by_id = {r.id: r for r in pair}
    return (await book_pairs(tx, community, offered, [found], by_id, members, now))[0]


def _room(kind: InterviewType, settings: CommunitySettings) -> room.RoomLinks:
    """The new session's own call and work-surface links (bot.core.room)."""
    return room.links_for(
        kind,
        call_link=settings.call_link,
        coding_editor=settings.coding_editor,
        design_board=settings.design_board,
    )
