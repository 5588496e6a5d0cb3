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
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import rustworkx as rx

from bot.matching import graph as g
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


@dataclass(frozen=True, slots=True)
class SolvedBucket:
    bucket: g.Bucket
    edges: g.Edges
    pairs: list[tuple[int, int, int]]  # bucket-local (u, v, exact weight)
    components: list[int]  # sizes of components with an edge


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
        priority.append(
            g.wait_points(w, waited) + g.left_out_points(w, r.times_left_out)
        )
    return g.Prepared(
        requests=inp.requests, starts=starts, priority=priority, now_minute=now_minute
    )


class _Round:
    """State of one call to ``match``."""

    def __init__(self, inp: MatchInput) -> None:
        self.inp = inp
        self.prepared = prepare(inp)
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
        self.repeat_by_type = self._repeats()

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
            pen = g.repeat_points(self.inp.weights, (now_s - when.timestamp()) / 86_400)
            if pen:
                for t in sorted(common):
                    out.setdefault(t, []).append((ca, cb, pen))
        return out

    def bucket(self, interview_type: str, index: Sequence[int]) -> g.Bucket:
        return g.build_bucket(
            self.prepared,
            index,
            weights=self.inp.weights,
            neighbours=self.neighbours,
            repeat=self.repeat_by_type.get(interview_type, []),
            seed=self.inp.seed,
            require_common_language=self.inp.require_common_language,
            member_codes=self.member_codes,
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
            b = self.bucket(t, index)
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
        edges = g.bucket_edges(b, prune, jitter)
        order = b.tie_order if jitter else None
        return SolvedBucket(b, edges, *solve_edges(b.size, edges, order))


def solve_edges(
    n: int, edges: g.Edges, order: g.IntArray | None = None
) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Maximum-cardinality, maximum-weight matching of one bucket, component by component.

    The solver gets exact integer scores (no scaling: equal scores stay equal, which
    rustworkx solves about twice as fast as all-distinct weights). Among equally good
    matchings it picks by node order, so each component's nodes are handed over in
    ``order`` (a position per node; the bucket's seeded ``tie_order``), default as given.
    """
    if edges.u.size == 0:
        return [], []
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from_no_data(list(zip(edges.u.tolist(), edges.v.tolist(), strict=True)))
    rank = np.arange(n, dtype=np.int64) if order is None else order
    comps = [sorted(c) for c in rx.connected_components(graph) if len(c) > 1]
    comps.sort(key=lambda c: c[0])
    label = np.full(n, -1, dtype=np.int64)
    for k, comp in enumerate(comps):
        label[comp] = k
    by_comp = np.argsort(label[edges.u], kind="stable")
    bounds = np.searchsorted(label[edges.u][by_comp], np.arange(len(comps) + 1))
    local = np.zeros(n, dtype=np.int64)
    pairs: list[tuple[int, int, int]] = []
    sizes: list[int] = []
    for k, comp in enumerate(comps):
        sizes.append(len(comp))
        sel = by_comp[bounds[k] : bounds[k + 1]]
        if len(comp) == 2:
            pairs.append((comp[0], comp[1], int(edges.weight[sel[0]])))
            continue
        nodes = np.asarray(comp, dtype=np.int64)
        nodes = nodes[np.argsort(rank[nodes], kind="stable")]
        local[nodes] = np.arange(nodes.size)
        a = local[edges.u[sel]]
        b = local[edges.v[sel]]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        ordered = np.lexsort((hi, lo))
        sub: rx.PyGraph = rx.PyGraph(multigraph=False)
        sub.add_nodes_from(range(nodes.size))
        sub.add_edges_from(
            list(
                zip(
                    lo[ordered].tolist(),
                    hi[ordered].tolist(),
                    edges.weight[sel][ordered].tolist(),
                    strict=True,
                )
            )
        )
        for x, y in rx.max_weight_matching(sub, max_cardinality=True, weight_fn=int):
            u, v = sorted((int(nodes[x]), int(nodes[y])))
            pairs.append((u, v, int(sub.get_edge_data(x, y))))
    pairs.sort()
    return pairs, sizes


def _symmetric(table: object) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    items = table.items() if hasattr(table, "items") else ()
    for track, near in items:
        for other in near:
            out.setdefault(str(track), set()).add(str(other))
            out.setdefault(str(other), set()).add(str(track))
    return {k: frozenset(v) for k, v in out.items()}


def match(inp: MatchInput) -> MatchResult:
    """Pair this round's open requests. Pure and deterministic for a given input and seed."""
    rnd = _Round(inp)
    reqs = inp.requests
    active = rnd.choose_active()
    solved = [rnd.solve(t, index) for t, index in rnd.by_type(active).items()]

    pairs: list[Pair] = []
    paired_members: dict[str, str] = {}
    matched_rows: dict[str, set[int]] = {}
    for sb in solved:
        done = matched_rows.setdefault(_type_of(sb, reqs), set())
        for u, v, weight in sb.pairs:
            ia, ib = int(sb.bucket.index[u]), int(sb.bucket.index[v])
            pair = describe_pair(inp, rnd.prepared, rnd.neighbours, ia, ib, weight)
            pairs.append(pair)
            done.update((u, v))
            for i in (ia, ib):
                paired_members[reqs[i].member_id] = reqs[i].interview_type
    pairs.sort(key=lambda p: (p.start, p.request_ids))

    unmatched: list[Unmatched] = []
    codes: dict[int, UnmatchedCode] = {}
    for sb in solved:
        rows = [k for k in range(sb.bucket.size) if k not in matched_rows[_type_of(sb, reqs)]]
        if rows:
            for k, why in zip(rows, _reasons(sb.bucket, rows), strict=True):
                codes[int(sb.bucket.index[k])] = why
    active_set = set(active)
    for i, r in enumerate(reqs):
        if i in active_set and i not in codes:
            continue  # paired
        code: UnmatchedCode
        other: str | None = None
        if not rnd.prepared.starts[i]:
            code = "no_free_times"
        elif i not in active_set:
            other = paired_members.get(r.member_id)
            code = "member_already_paired" if other is not None else "other_request_this_round"
        else:
            code = codes[i]
        unmatched.append(_unmatched(inp, rnd.prepared, i, code, other))

    total = sum(p.weight for p in pairs)
    sizes = [s for sb in solved for s in sb.components]
    stats = MatchStats(
        requests=len(reqs),
        active_requests=len(active),
        compatible_pairs=sum(sb.edges.compatible_pairs for sb in solved),
        kept_pairs=sum(int(sb.edges.u.size) for sb in solved),
        components=len(sizes),
        largest_component=max(sizes, default=0),
        total_weight=total,
    )
    return MatchResult(pairs=tuple(pairs), unmatched=tuple(unmatched), stats=stats)


def _type_of(sb: SolvedBucket, reqs: Sequence[MatchRequest]) -> str:
    return reqs[int(sb.bucket.index[0])].interview_type


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
    next_chance = inp.next_round_at
    next_slot: datetime | None = None
    if next_chance is not None:
        floor = to_minutes(next_chance)
        later = [m for m in prepared.starts[i] if m >= floor]
        if later:
            next_slot = from_minutes(later[0])
    text = unmatched_text(code, r, other_type=other_type)
    return Unmatched(
        request_id=r.request_id,
        member_id=r.member_id,
        code=code,
        text=text,
        next_chance=next_chance,
        next_slot=next_slot,
    )



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
        e = g.bucket_edges(b, None, jitter=False)
        us += b.index[e.u].tolist()
        vs += b.index[e.v].tolist()
        ws += e.weight.tolist()
    return FullGraph(active=tuple(active), u=tuple(us), v=tuple(vs), weight=tuple(ws))


__all__ = ["FullGraph", "full_graph", "match", "prepare", "solve_edges"]
