"""The pure part of a matching round: the engine's input from the round's reads, and the engine.

:func:`plan_round` takes plain data (the open requests, their members, what the database said
about them) and returns plain data, so the app runs it in a worker process
(:class:`bot.core.ports.Offload`): expanding every request's candidate starts and solving the
matching take seconds in a large community, and the event loop must not wait for them.
The same function runs in the process for callers without an offload; the result is the same.
With an offload, :func:`plan_round_away` runs it in parts: the starts and the split into
interview types in one worker, then the types in parallel across the workers, largest first;
what crosses between the processes is pickled a slice at a time off the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.availability import candidate_starts
from bot.core.models import InterviewRequest, Member
from bot.core.ratings import (
    DEFAULT_REPUTATION_WEIGHT,
    RatingTotals,
    VerdictCounts,
    candidate_need,
    match_value,
    reputation_weights,
    smoothed,
)
from bot.core.services.rounds import round_up
from bot.core.slices import Sliced, pack_fields, unpack_fields
from bot.core.vocab import NEIGHBOUR_TRACKS, canonical_language
from bot.matching import MatchInput, MatchRequest, MatchResult
from bot.matching.engine import RoundWork, finish_round, solve_type, split_round

if TYPE_CHECKING:
    from bot.core.ports import Offload

#: Scheduled sessions start at least this far ahead, so the pair can plan.
LEAD_TIME = timedelta(minutes=30)
NO_SHOW_HALF_LIFE_DAYS = 21.0
NO_SHOW_WEIGHT = 0.5


def reliability(no_show_times: list[datetime] | tuple[datetime, ...], now: datetime) -> float:
    """1.0 for a clean record; each no-show costs up to 0.5, halving every three weeks."""
    penalty = sum(
        NO_SHOW_WEIGHT * 0.5 ** ((now - when).total_seconds() / 86400 / NO_SHOW_HALF_LIFE_DAYS)
        for when in no_show_times
    )
    return float(max(0.0, min(1.0, 1.0 - penalty)))


def seed_of(key: str, now: datetime) -> int:
    """A deterministic seed for a round from its key and time (the engine is deterministic for a
    seed)."""
    return int(hashlib.sha256(f"{key}:{now.isoformat()}".encode()).hexdigest()[:8], 16)


@dataclass(frozen=True)
class RoundInput:
    """What one round read, as plain data: the open requests still in their window (whose
    interview type has prompts) and, per member of them, profile, booked sessions, no-shows
    and pairing history."""

    requests: tuple[InterviewRequest, ...]
    members: Mapping[str, Member]
    busy: Mapping[str, tuple[tuple[datetime, datetime], ...]]
    absences: Mapping[str, tuple[datetime, ...]]
    history: Mapping[frozenset[str], datetime]
    given: Mapping[str, int]
    taken: Mapping[str, int]
    #: The round's members' ratings as interviewers, and the community's mean rating.
    rating_totals: Mapping[str, RatingTotals]
    rating_mean: float
    now: datetime
    live: bool
    session_minutes: int
    seed: int
    next_round_at: datetime
    #: The round's members' recent verdicts as candidates (their need of a good interviewer).
    verdicts: Mapping[str, VerdictCounts] = field(default_factory=dict)
    #: The community's ``reputation_weight``: percent of the matcher's rating weights.
    reputation_weight: int = DEFAULT_REPUTATION_WEIGHT


@dataclass(frozen=True)
class RoundPlan:
    """The ids of the requests the engine considered, and its result (None: nothing to match)."""

    considered: tuple[str, ...]
    result: MatchResult | None


@dataclass(frozen=True)
class RoundStart:
    """A round's first part: the ids of the requests considered and the engine's work, cut
    into one task per interview type (None: nothing to match)."""

    considered: tuple[str, ...]
    work: RoundWork | None


def plan_round(inp: RoundInput) -> RoundPlan:
    """Every considered request's candidate starts, then the engine, all here. Pure: a
    module-level function of picklable data."""
    start = begin_round(inp)
    if start.work is None:
        return RoundPlan((), None)
    return RoundPlan(
        start.considered, finish_round(start.work, [solve_type(t) for t in start.work.tasks])
    )


async def plan_round_away(offload: Offload, inp: RoundInput) -> RoundPlan:
    """The same plan with nothing heavy on the event loop: the candidate starts and the split
    into interview types in one worker, the types in parallel across the workers (largest
    first), and the assembly of their results (light) on a thread. What crosses to and from
    the workers is pickled a slice at a time on a thread (``bot.core.slices``): pickled
    whole, a large round's input held the loop for a quarter of a second. The tasks go from
    the first worker to the others as bytes, never read back here."""
    fields = await asyncio.to_thread(pack_fields, inp)
    start = await offload.run(begin_packed, fields)
    if start is None:
        return RoundPlan((), None)
    solved = await offload.map(solve_packed, start.tasks)
    return await asyncio.to_thread(finish_packed, start.rest, solved)


@dataclass(frozen=True)
class PackedStart:
    """:class:`RoundStart` as bytes: the tasks one by one (each goes to a worker as it is),
    and the rest (what is considered, and the work without its tasks)."""

    rest: bytes
    tasks: tuple[bytes, ...]


def begin_packed(fields: dict[str, Sliced]) -> PackedStart | None:
    """:func:`begin_round` of a packed :class:`RoundInput`, packed (None: nothing to match).
    Runs in a worker."""
    start = begin_round(unpack_fields(RoundInput, fields))
    if start.work is None:
        return None
    rest = replace(start, work=replace(start.work, tasks=()))
    return PackedStart(
        pickle.dumps(rest, protocol=pickle.HIGHEST_PROTOCOL),
        tuple(pickle.dumps(t, protocol=pickle.HIGHEST_PROTOCOL) for t in start.work.tasks),
    )


def solve_packed(task: bytes) -> bytes:
    """:func:`solve_type` of a pickled task, pickled. Runs in a worker."""
    return pickle.dumps(solve_type(pickle.loads(task)), protocol=pickle.HIGHEST_PROTOCOL)


def finish_packed(rest: bytes, solved: list[bytes]) -> RoundPlan:
    """The plan from :func:`begin_packed`'s rest and the pickled solutions (on a thread: each
    read back is a few milliseconds)."""
    start: RoundStart = pickle.loads(rest)
    assert start.work is not None
    solutions = [pickle.loads(s) for s in solved]
    return RoundPlan(start.considered, finish_round(start.work, solutions))


def begin_round(inp: RoundInput) -> RoundStart:
    """Every considered request's candidate starts, then the engine's split into interview
    types. Pure: a module-level function of picklable data, so it runs in a worker process."""
    now, minutes, busy = inp.now, inp.session_minutes, inp.busy
    live_start = round_up(now + timedelta(minutes=2), 5)
    match_requests: list[MatchRequest] = []
    for r in inp.requests:
        m = inp.members.get(r.member_id)
        if m is None or m.level is None or m.track is None:
            continue
        if r.live:
            starts = (
                [live_start]
                if not any(
                    a < live_start + timedelta(minutes=minutes) and live_start < b
                    for a, b in busy.get(m.id, ())
                )
                else []
            )
        elif inp.live:
            continue  # a live round pairs only the live queue
        elif m.availability is None or m.timezone is None:
            starts = []
        else:
            starts = candidate_starts(
                m.availability,
                ZoneInfo(m.timezone),
                max(r.window_start, now + LEAD_TIME),
                r.window_end,
                session_minutes=minutes,
                blackouts=m.blackouts,
                busy=busy.get(m.id, ()),
            )
        match_requests.append(
            MatchRequest(
                request_id=r.id,
                member_id=m.id,
                interview_type=r.interview_type.value,
                role=r.role.value,
                track=m.track,
                level=m.level.rank,
                start_times=tuple(starts),
                created_at=r.created_at,
                languages=frozenset(canonical_language(x).lower() for x in m.languages),
                times_left_out=r.times_left_out + (3 if r.priority else 0),
                reliability=reliability(inp.absences.get(m.id, ()), now),
                given_as_interviewer=inp.given.get(m.id, 0),
                taken_as_candidate=inp.taken.get(m.id, 0),
                blocked=frozenset(m.blocked),
                busy=tuple(busy.get(m.id, ())),
                interviewer_rating=match_value(
                    smoothed(m.id, inp.rating_totals, mean=inp.rating_mean)
                ),
                candidate_need=candidate_need(inp.taken.get(m.id, 0), inp.verdicts.get(m.id)),
            )
        )
    if not match_requests:
        return RoundStart((), None)
    work = split_round(
        MatchInput(
            requests=tuple(match_requests),
            now=now,
            history=inp.history,
            neighbour_tracks=NEIGHBOUR_TRACKS,
            session_minutes=minutes,
            seed=inp.seed,
            next_round_at=inp.next_round_at,
            require_common_language=False,
            weights=reputation_weights(inp.reputation_weight),
        )
    )
    return RoundStart(tuple(r.request_id for r in match_requests), work)
