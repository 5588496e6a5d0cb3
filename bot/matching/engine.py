"""``match``: who practises with whom this round, and when.

1. Prepare: each request's usable starts (epoch minutes, not in the past, not
   clashing with the member's booked sessions) and its priority (wait + left out).
2. One request per member per round: a member with several open requests is
   matched on one of them, the first with a possible partner in the order
   (most times left out, oldest, request id); the others wait for the next round.
   So a member is never in two sessions of the same round, overlapping or not.
3. Per interview type, build the compatibility graph (graph.py), keep each
   request's best ``prune_degree`` partners, split into connected components and
   solve each with ``rustworkx.max_weight_matching(max_cardinality=True)``: as
   many pairs as possible, then the highest total score.
4. Explain every pair and every request left open.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, fields, replace
from datetime import datetime

import numpy as np
import rustworkx as rx

from bot.matching import edges as ed
from bot.matching import graph as g
from bot.matching import scores as sc
from bot.matching.explain import describe_pair, unmatched_text
from bot.matching.model import (
    MatchInput,
    MatchRequest,
    MatchResult,
    MatchStats,
    Pair,
    Unmatched,
    UnmatchedCode,
    from_minutes,
    to_minutes,
)
from bot.matching.solve import TRACK_CLASSES, solve_by_track, solve_edges


@dataclass(frozen=True, slots=True)
class SolvedBucket:
    bucket: g.Bucket
    edges: ed.Edges
    pairs: list[tuple[int, int, int]]  # bucket-local (u, v, exact weight)
    components: list[int]  # sizes of components with an edge
    split: bool = False  # solved track by track (solve_by_track)


def prepare(inp: MatchInput) -> g.Prepared:
    """Usable starts and priorities of every request, in input order."""
    w = inp.weights
    now_minute = to_minutes(inp.now)
    length = inp.session_minutes
    busy: dict[str, list[tuple[int, int]]] = {}
    for r in inp.requests:
        spans = busy.setdefault(r.member_id, [])
        for start, end in r.busy:
            spans.append((to_minutes(start), -(-int(end.timestamp()) // 60)))
    cache: dict[datetime, int] = {}
    starts: list[tuple[int, ...]] = []
    priority: list[int] = []
    for r in inp.requests:
        spans = busy[r.member_id]
        usable: set[int] = set()
        for when in r.start_times:
            m = cache.get(when)
            if m is None:
                m = cache[when] = to_minutes(when)
            if m < now_minute:
                continue
            if spans and any(b0 < m + length and m < b1 for b0, b1 in spans):
                continue
            usable.add(m)
        starts.append(tuple(sorted(usable)))
        waited = (inp.now - r.created_at).total_seconds() / 86_400
        priority.append(sc.wait_points(w, waited) + sc.left_out_points(w, r.times_left_out))
    return g.Prepared(
        requests=inp.requests, starts=starts, priority=priority, now_minute=now_minute
    )


class _Round:
    """State of one call to ``match`` (or of one interview type's task, ``sub=True``)."""

    def __init__(self, inp: MatchInput, prepared: g.Prepared | None = None) -> None:
        self.inp = inp
        self.prepared = prepare(inp) if prepared is None else prepared
        self.neighbours = _symmetric(inp.neighbour_tracks)
        reqs = inp.requests
        self.member_codes: dict[str, int] = {}
        for r in reqs:
            self.member_codes.setdefault(r.member_id, len(self.member_codes))
        self.usable = [i for i in range(len(reqs)) if self.prepared.starts[i]]
        self.types_of_member: dict[int, set[str]] = {}
        for i in self.usable:
            code = self.member_codes[reqs[i].member_id]
            self.types_of_member.setdefault(code, set()).add(reqs[i].interview_type)
        self._repeat_by_type: dict[str, list[tuple[int, int, int]]] | None = None

    @property
    def repeat_by_type(self) -> dict[str, list[tuple[int, int, int]]]:
        """Past pairings' penalties by interview type (computed when first scored)."""
        if self._repeat_by_type is None:
            self._repeat_by_type = self._repeats()
        return self._repeat_by_type

    def _repeats(self) -> dict[str, list[tuple[int, int, int]]]:
        out: dict[str, list[tuple[int, int, int]]] = {}
        now_s = self.inp.now.timestamp()
        for key, when in self.inp.history.items():
            if len(key) != 2:
                continue
            a, b = sorted(key)
            ca, cb = self.member_codes.get(a), self.member_codes.get(b)
            if ca is None or cb is None:
                continue
            common = self.types_of_member.get(ca, set()) & self.types_of_member.get(cb, set())
            if not common:
                continue
            pen = sc.repeat_points(self.inp.weights, (now_s - when.timestamp()) / 86_400)
            if pen:
                for t in sorted(common):
                    out.setdefault(t, []).append((ca, cb, pen))
        return out

    def bucket(
        self, interview_type: str, index: Sequence[int], hard_rules_only: bool = False
    ) -> g.Bucket:
        return g.build_bucket(
            self.prepared,
            index,
            weights=self.inp.weights,
            neighbours=self.neighbours,
            repeat=() if hard_rules_only else self.repeat_by_type.get(interview_type, []),
            seed=self.inp.seed,
            require_common_language=self.inp.require_common_language,
            member_codes=self.member_codes,
            hard_rules_only=hard_rules_only,
        )

    def by_type(self, indices: Sequence[int]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i in indices:
            out.setdefault(self.inp.requests[i].interview_type, []).append(i)
        return out

    def choose_active(self) -> list[int]:
        """One request per member: the first, in priority order, that has a possible partner."""
        reqs = self.inp.requests
        per_member: dict[int, list[int]] = {}
        for i in self.usable:
            per_member.setdefault(self.member_codes[reqs[i].member_id], []).append(i)
        multi = [i for lst in per_member.values() if len(lst) > 1 for i in lst]
        if not multi:
            return list(self.usable)
        has_partner: dict[int, bool] = {}
        in_multi = set(multi)
        for t, index in self.by_type(self.usable).items():
            rows = [k for k, i in enumerate(index) if i in in_multi]
            if not rows:
                continue
            b = self.bucket(t, index, hard_rules_only=True)
            found = g.any_partner(b, rows)
            for k, flag in zip(sorted(rows), found.tolist(), strict=True):
                has_partner[index[k]] = bool(flag)
        active: list[int] = []
        for lst in per_member.values():
            if len(lst) == 1:
                active.append(lst[0])
                continue
            best = min(
                lst,
                key=lambda i: (
                    not has_partner.get(i, False),
                    -reqs[i].times_left_out,
                    reqs[i].created_at,
                    reqs[i].request_id,
                ),
            )
            active.append(best)
        return sorted(active)

    def solve(self, interview_type: str, index: Sequence[int]) -> SolvedBucket:
        b = self.bucket(interview_type, index)
        prune = self.inp.prune_degree if b.size > self.inp.exact_up_to else None
        jitter = self.inp.weights.tie_break_jitter
        edges = ed.bucket_edges(b, prune, jitter, self.inp.band_partners)
        order = b.tie_order if jitter else None
        if edges.full or b.size <= self.inp.split_above:
            return SolvedBucket(b, edges, *solve_edges(b.size, edges, order))
        pairs, sizes, split = solve_by_track(b.size, edges, order, b.cls // TRACK_CLASSES)
        return SolvedBucket(b, edges, pairs, sizes, split)


@dataclass(frozen=True, slots=True)
class TypeTask:
    """One interview type's share of a round: its active requests (one per member), their
    usable starts and priorities, and the pairing history among them. Plain picklable data:
    :func:`solve_type` runs it in a worker process as well as here."""

    inp: MatchInput
    #: Every request's usable starts (epoch minutes), one after the other: request ``k``'s
    #: are ``starts[bounds[k]:bounds[k + 1]]`` (arrays pickle as bytes, fast).
    starts: sc.AnyArray  # int32: epoch minutes fit
    bounds: sc.IntArray
    priority: tuple[int, ...]
    now_minute: int

    def usable_starts(self) -> list[tuple[int, ...]]:
        flat, bounds = self.starts.tolist(), self.bounds.tolist()
        return [tuple(flat[bounds[k] : bounds[k + 1]]) for k in range(len(bounds) - 1)]

    @property
    def interview_type(self) -> str:
        return self.inp.requests[0].interview_type

    @property
    def size(self) -> int:
        return len(self.inp.requests)


@dataclass(frozen=True, slots=True)
class TypeSolution:
    """What :func:`solve_type` found for one interview type."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    compatible_pairs: int
    kept_pairs: int
    components: tuple[int, ...]
    #: The most pairs the type allows is proven to be made (see :func:`pairs_proven`).
    max_pairs_proven: bool
    exact: bool
    split: bool = False


@dataclass(frozen=True, slots=True)
class RoundWork:
    """A round split into interview-type tasks (largest first) and what is known without them."""

    tasks: tuple[TypeTask, ...]
    requests: int
    active: int
    #: Input order of every request id, for the order of ``MatchResult.unmatched``.
    order: tuple[str, ...]
    #: Requests with no usable start: settled already.
    no_times: tuple[Unmatched, ...]
    #: A member's other requests (not the one matched this round): the code depends on
    #: whether that one is paired.
    others: tuple[tuple[MatchRequest, datetime | None], ...]
    next_round_at: datetime | None


def split_round(inp: MatchInput) -> RoundWork:
    """Prepare the round and choose each member's request, then cut it into one task per
    interview type, largest first (so a pool of workers finishes the longest one soonest)."""
    rnd = _Round(inp)
    reqs = inp.requests
    active = rnd.choose_active()
    active_set = set(active)
    # Each member has one active request, so a past pairing matters to at most one type.
    type_of = {reqs[i].member_id: reqs[i].interview_type for i in active}
    histories: dict[str, dict[frozenset[str], datetime]] = {}
    for key, when in inp.history.items():
        if len(key) != 2:
            continue
        a, b = key
        t = type_of.get(a)
        if t is not None and t == type_of.get(b):
            histories.setdefault(t, {})[key] = when
    tasks: list[TypeTask] = []
    for t, index in rnd.by_type(active).items():
        sub = replace(
            inp, requests=tuple(_light(reqs[i]) for i in index), history=histories.get(t, {})
        )
        starts = [rnd.prepared.starts[i] for i in index]
        tasks.append(
            TypeTask(
                inp=sub,
                starts=np.fromiter((m for s in starts for m in s), dtype=np.int32),
                bounds=np.cumsum([0, *(len(s) for s in starts)], dtype=np.int64),
                priority=tuple(int(rnd.prepared.priority[i]) for i in index),
                now_minute=rnd.prepared.now_minute,
            )
        )
    tasks.sort(key=lambda t: (-t.size, t.interview_type))
    no_times: list[Unmatched] = []
    others: list[tuple[MatchRequest, datetime | None]] = []
    for i, r in enumerate(reqs):
        if i in active_set:
            continue
        if not rnd.prepared.starts[i]:
            no_times.append(_unmatched(inp, rnd.prepared, i, "no_free_times", None))
        else:
            others.append((_light(r), _next_slot(inp, rnd.prepared.starts[i])))
    return RoundWork(
        tasks=tuple(tasks),
        requests=len(reqs),
        active=len(active),
        order=tuple(r.request_id for r in reqs),
        no_times=tuple(no_times),
        others=tuple(others),
        next_round_at=inp.next_round_at,
    )


_REQUEST_FIELDS = tuple(f.name for f in fields(MatchRequest))
_HEAVY_FIELDS = ("start_times", "busy")


def _light(r: MatchRequest) -> MatchRequest:
    """The request without its start times and bookings (a task carries its usable starts as
    minutes): a tenth of the data to hand to a worker process and back. Built field by field
    (``copy`` goes through pickling's reduce and took three times as long)."""
    light = object.__new__(MatchRequest)
    put = object.__setattr__
    for name in _REQUEST_FIELDS:
        put(light, name, () if name in _HEAVY_FIELDS else getattr(r, name))
    return light


def solve_type(task: TypeTask) -> TypeSolution:
    """Score, prune and solve one interview type; describe its pairs and why each of its
    requests left open has no partner. Pure: runs the same in a worker process."""
    inp = task.inp
    prepared = g.Prepared(
        requests=inp.requests,
        starts=task.usable_starts(),
        priority=task.priority,
        now_minute=task.now_minute,
    )
    rnd = _Round(inp, prepared)
    index = list(range(len(inp.requests)))
    sb = rnd.solve(task.interview_type, index)
    pairs = [
        describe_pair(inp, prepared, rnd.neighbours, u, v, weight) for u, v, weight in sb.pairs
    ]
    matched = {x for u, v, _w in sb.pairs for x in (u, v)}
    rows = [k for k in index if k not in matched]
    unmatched: list[Unmatched] = []
    if rows:
        for k, why in zip(rows, _reasons(sb.bucket, rows), strict=True):
            unmatched.append(_unmatched(inp, prepared, k, why, None))
    exact = sb.edges.full
    proven = exact or pairs_proven(sb, rows)
    return TypeSolution(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        compatible_pairs=sb.edges.compatible_pairs,
        kept_pairs=int(sb.edges.u.size),
        components=tuple(sb.components),
        max_pairs_proven=proven,
        exact=exact,
        split=sb.split,
    )


def pairs_proven(sb: SolvedBucket, unpaired: Sequence[int]) -> bool:
    """Whether the pairs made are the most the type's full compatibility graph allows,
    although the solver saw a pruned graph.

    A pair lies inside one connected component of the full graph, so a component of ``s``
    requests holds at most ``s // 2`` pairs: the count is proven maximal when no component
    of the full graph has two requests left unpaired. Requests with no compatible partner
    are components of their own. Pruning keeps at least one edge of every request that has
    a partner, so each component of the kept graph lies inside one of the full graph: when
    every kept component has at most one unpaired request and no compatible pair joins two
    kept components, they are the full graph's components and the count is proven.
    Otherwise it is reported as not proven (it may still be maximal)."""
    e = sb.edges
    degree = e.degree if e.degree is not None else np.ones(sb.bucket.size, dtype=np.int64)
    loose = [k for k in unpaired if degree[k] > 0]
    if len(loose) <= 1:
        return True
    label = _components(sb.bucket.size, e)
    if len({int(label[k]) for k in loose}) < len(loose):
        return False  # two unpaired requests in one kept component
    return not g.joins_components(sb.bucket, label)


def _components(n: int, e: ed.Edges) -> sc.IntArray:
    """Component label of every bucket row in the kept graph (isolated rows: their own)."""
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from_no_data(list(zip(e.u.tolist(), e.v.tolist(), strict=True)))
    label = np.arange(n, dtype=np.int64)
    for k, comp in enumerate(rx.connected_components(graph)):
        label[list(comp)] = n + k
    return label


def _symmetric(table: object) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    items = table.items() if hasattr(table, "items") else ()
    for track, near in items:
        for other in near:
            out.setdefault(str(track), set()).add(str(other))
            out.setdefault(str(other), set()).add(str(track))
    return {k: frozenset(v) for k, v in out.items()}


def match(inp: MatchInput, executor: Executor | None = None) -> MatchResult:
    """Pair this round's open requests. Pure and deterministic for a given input and seed.

    With ``executor`` (a pool of worker processes, :class:`bot.matching.pool.SolverPool`)
    the interview types are solved in parallel, largest first; the result is the same."""
    work = split_round(inp)
    if executor is None or len(work.tasks) < 2:
        solutions = [solve_type(t) for t in work.tasks]
    else:
        solutions = list(executor.map(solve_type, work.tasks))
    return finish_round(work, solutions)


def finish_round(work: RoundWork, solutions: Sequence[TypeSolution]) -> MatchResult:
    """Put the types' solutions together: every pair, and every request left open with why."""
    pairs = sorted((p for s in solutions for p in s.pairs), key=lambda p: (p.start, p.request_ids))
    paired_members: dict[str, str] = {}
    for p in pairs:
        for member in p.member_ids:
            paired_members[member] = p.interview_type
    found: dict[str, Unmatched] = {u.request_id: u for s in solutions for u in s.unmatched}
    found.update((u.request_id, u) for u in work.no_times)
    for r, slot in work.others:
        other = paired_members.get(r.member_id)
        code: UnmatchedCode = (
            "member_already_paired" if other is not None else "other_request_this_round"
        )
        found[r.request_id] = Unmatched(
            request_id=r.request_id,
            member_id=r.member_id,
            code=code,
            text=unmatched_text(code, r, other_type=other),
            next_chance=work.next_round_at,
            next_slot=slot,
        )
    unmatched = tuple(found[rid] for rid in work.order if rid in found)
    sizes = [c for s in solutions for c in s.components]
    stats = MatchStats(
        requests=work.requests,
        active_requests=work.active,
        compatible_pairs=sum(s.compatible_pairs for s in solutions),
        kept_pairs=sum(s.kept_pairs for s in solutions),
        components=len(sizes),
        largest_component=max(sizes, default=0),
        total_weight=sum(p.weight for p in pairs),
        max_pairs_proven=all(s.max_pairs_proven for s in solutions),
        exact_types=sum(1 for s in solutions if s.exact),
        pruned_types=sum(1 for s in solutions if not s.exact),
        split_types=sum(1 for s in solutions if s.split),
    )
    return MatchResult(pairs=tuple(pairs), unmatched=unmatched, stats=stats)


def _reasons(b: g.Bucket, rows: Sequence[int]) -> list[UnmatchedCode]:
    """Why each of these (unpaired) bucket rows has no partner: the first hard rule that
    rules everybody out, or that all compatible partners are taken."""
    out: list[UnmatchedCode] = []
    picked = np.asarray(rows, dtype=np.int64)
    blocked_by_me: set[tuple[int, int]] = set()
    bi, bj = b.blocked
    # b.blocked holds both directions; the first of each pair of entries is "row blocked col".
    for k in range(0, bi.size, 2):
        blocked_by_me.add((int(bi[k]), int(bj[k])))
    for start in range(0, picked.size, 256):
        chunk = picked[start : start + 256]
        blk = g.score_block(b, chunk)
        others = b.member[chunk, None] != b.member[None, :]
        shares = others & (blk.first_day >= 0)
        speaks = shares if blk.lang_ok is None else shares & blk.lang_ok
        roles = speaks & b.role_table[b.cls[chunk, None], b.cls[None, :]]
        levels = roles & (blk.mode >= 0)
        for pos, row in enumerate(chunk.tolist()):
            code: UnmatchedCode
            if not others[pos].any():
                code = "no_one_else_for_type"
            elif not shares[pos].any():
                code = "no_shared_times"
            elif not speaks[pos].any():
                code = "no_common_language"
            elif not roles[pos].any():
                code = "roles_do_not_fit"
            elif not levels[pos].any():
                code = "levels_do_not_fit"
            elif not blk.ok[pos].any():
                cols = np.nonzero(levels[pos])[0].tolist()
                mine = all((row, c) in blocked_by_me for c in cols)
                # Never reveal that somebody else blocked this member.
                code = "only_blocked_fit" if mine else "no_suitable_partner"
            else:
                code = "everyone_compatible_paired"
            out.append(code)
    return out


def _unmatched(
    inp: MatchInput, prepared: g.Prepared, i: int, code: UnmatchedCode, other_type: str | None
) -> Unmatched:
    r = inp.requests[i]
    text = unmatched_text(code, r, other_type=other_type)
    return Unmatched(
        request_id=r.request_id,
        member_id=r.member_id,
        code=code,
        text=text,
        next_chance=inp.next_round_at,
        next_slot=_next_slot(inp, prepared.starts[i]),
    )


def _next_slot(inp: MatchInput, starts: Sequence[int]) -> datetime | None:
    """The first of these starts at or after the next round, if the next round is known."""
    if inp.next_round_at is None:
        return None
    floor = to_minutes(inp.next_round_at)
    later = [m for m in starts if m >= floor]
    return from_minutes(later[0]) if later else None


@dataclass(frozen=True, slots=True)
class FullGraph:
    """Every compatible pair of this round's active requests, with its exact score.

    Global request indices (positions in ``MatchInput.requests``), ``u < v``. This is
    the graph the optimum is defined on; tests and the benchmark compare against it.
    """

    active: tuple[int, ...]
    u: tuple[int, ...]
    v: tuple[int, ...]
    weight: tuple[int, ...]


def full_graph(inp: MatchInput) -> FullGraph:
    """The unpruned compatibility graph (same hard rules, same scores as ``match``)."""
    rnd = _Round(inp)
    active = rnd.choose_active()
    us: list[int] = []
    vs: list[int] = []
    ws: list[int] = []
    for t, index in rnd.by_type(active).items():
        b = rnd.bucket(t, index)
        e = ed.bucket_edges(b, None, jitter=False)
        us += b.index[e.u].tolist()
        vs += b.index[e.v].tolist()
        ws += e.weight.tolist()
    return FullGraph(active=tuple(active), u=tuple(us), v=tuple(vs), weight=tuple(ws))


__all__ = [
    "FullGraph",
    "RoundWork",
    "TypeSolution",
    "TypeTask",
    "finish_round",
    "full_graph",
    "match",
    "prepare",
    "solve_type",
    "split_round",
]
