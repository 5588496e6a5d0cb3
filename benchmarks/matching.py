"""Benchmark of the PeerLoop matcher against networkx and a greedy baseline.

    python -m benchmarks.matching [--sizes 1000,5000] [--smoke] [--large] [--json] [--seed N]

For each size (1,000, 5,000 and 10,000 requests by default; ``--large`` adds 20,000) it
generates a realistic community (tracks, levels, members spread over the world's time zones
with evening-heavy local availability converted to UTC starts over the next 7 days, past
pairings, a few blocks and reliability dips, some members with two open requests) and
reports, in the same run:

- PeerLoop (``match``, end to end from the ``MatchInput``, the interview types solved in a
  pool of worker processes started once before any timing, ``--workers``; ``--repeat N``
  times it N times and shows the best and the median, and checks every run gave the same
  pairs), and whether the maximum number of pairs is proven (``MatchStats.max_pairs_proven``);
- networkx ``max_weight_matching(maxcardinality=True)`` on the full compatibility
  graph (up to ``--networkx-limit`` requests, 1,000 by default, and said so above);
- a greedy baseline (heaviest compatible pair first) on the full graph;
- the exact optimum: networkx's result where it ran, otherwise rustworkx on the
  full, unpruned graph (up to ``--exact-limit`` requests), otherwise a stored figure
  computed once that way (``STORED_OPTIMA``).

Per method: wall time, pairs made, share of the maximum possible pairs, total
score as a share of the optimum, repeat pairs and the median wait of paired
requests; for the run: its wall time, peak memory and the load average. The
generator and all solvers are deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import rustworkx as rx

from bot.matching import graph as g
from bot.matching.engine import _Round, match
from bot.matching.model import MatchInput, MatchRequest, pair_key
from bot.matching.pool import solver_pool, warm

NOW = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # a Monday

# Share of members per UTC offset (hours): the Americas, Europe, India, East Asia, Oceania.
TIME_ZONES: tuple[tuple[float, float], ...] = (
    (-8, 0.10), (-7, 0.03), (-6, 0.06), (-5, 0.14), (-3, 0.05), (0, 0.07), (1, 0.16),
    (2, 0.06), (3, 0.04), (5.5, 0.12), (7, 0.03), (8, 0.07), (9, 0.04), (10, 0.03),
)
TRACKS: tuple[tuple[str, float], ...] = (
    ("backend", 0.24), ("frontend", 0.13), ("full-stack", 0.14), ("mobile", 0.06),
    ("ml", 0.08), ("data-science", 0.08), ("data-engineering", 0.07), ("sre", 0.08),
    ("security", 0.04), ("engineering-management", 0.08),
)
_SWE = (("coding", 0.5), ("system-design", 0.35), ("behavioral", 0.15))
TYPES_BY_TRACK: dict[str, tuple[tuple[str, float], ...]] = {
    "backend": _SWE, "frontend": _SWE, "full-stack": _SWE, "mobile": _SWE,
    "ml": (("ml-system-design", 0.35), ("ml-fundamentals", 0.35), ("coding", 0.2),
           ("behavioral", 0.1)),
    "data-science": (("stats-product", 0.4), ("sql-data-modelling", 0.3),
                     ("ml-fundamentals", 0.2), ("behavioral", 0.1)),
    "data-engineering": (("sql-data-modelling", 0.35), ("coding", 0.3),
                         ("system-design", 0.25), ("behavioral", 0.1)),
    "sre": (("sre-troubleshooting", 0.5), ("system-design", 0.3), ("coding", 0.2)),
    "security": (("coding", 0.3), ("system-design", 0.3), ("behavioral", 0.2),
                 ("sre-troubleshooting", 0.2)),
    "engineering-management": (("behavioral", 0.6), ("system-design", 0.4)),
}
NEIGHBOURS: dict[str, frozenset[str]] = {
    "backend": frozenset({"full-stack", "sre", "data-engineering"}),
    "frontend": frozenset({"full-stack", "mobile"}),
    "ml": frozenset({"data-science", "data-engineering"}),
    "data-science": frozenset({"data-engineering"}),
    "sre": frozenset({"security"}),
}
LOCAL_LANGUAGE = {-3: "pt", -6: "es", 1: "de", 2: "fr", 5.5: "hi", 8: "zh", 9: "ja"}
FULL_SIZES = (1000, 5000, 10000)
LARGE_SIZE = 20000
SMOKE_SIZES = (120, 400)


def _pick(rng: random.Random, table: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _starts(rng: random.Random, offset: float, cache: dict[int, datetime]) -> tuple[datetime, ...]:
    """Evening-heavy weekly availability in local time -> UTC starts of 60-min sessions."""
    windows: list[tuple[int, int]] = []  # (local day 0..6 from Monday, start minute, length)
    for day in rng.sample(range(5), rng.randint(2, 4)):  # weekday evenings
        start = 18 * 60 + 30 * rng.randint(0, 4)
        windows.append((day * 1440 + start, 60 * rng.randint(2, 4)))
    if rng.random() < 0.5:  # one weekend block
        start = 10 * 60 + 30 * rng.randint(0, 5)
        windows.append((rng.randint(5, 6) * 1440 + start, 60 * rng.randint(3, 5)))
    if rng.random() < 0.15:  # lunch breaks
        for day in rng.sample(range(5), 2):
            windows.append((day * 1440 + 12 * 60, 90))
    minutes: set[int] = set()
    for begin, length in windows:
        for s in range(begin, begin + length - 60 + 1, 30):
            utc = int(s - offset * 60) % (7 * 1440)  # wrap into the coming week
            minutes.add(utc)
    out = []
    for m in sorted(minutes):
        when = cache.get(m)
        if when is None:
            when = cache[m] = NOW + timedelta(minutes=m)
        out.append(when)
    return tuple(out)


def generate(n_requests: int, seed: int) -> MatchInput:
    """A realistic community with ``n_requests`` open requests."""
    rng = random.Random(seed * 1_000_003 + n_requests)
    cache: dict[int, datetime] = {}
    requests: list[MatchRequest] = []
    members: list[tuple[str, str, str, float]] = []  # id, track, type, offset
    by_type: dict[str, list[str]] = {}
    k = 0
    while len(requests) < n_requests:
        member = f"m{k:06d}"
        k += 1
        offset = float(_pick(rng, TIME_ZONES))
        track = str(_pick(rng, TRACKS))
        level = rng.choices(range(4), weights=(25, 35, 28, 12))[0]
        role = rng.choices(("swap", "candidate", "interviewer"), weights=(78, 14, 8))[0]
        if role == "interviewer":
            level = max(level, 2)
        local = LOCAL_LANGUAGE.get(offset)
        if local and rng.random() < 0.08:
            languages = frozenset({local})
        elif local and rng.random() < 0.4:
            languages = frozenset({"en", local})
        else:
            languages = frozenset({"en"})
        reliability = 1.0 if rng.random() < 0.88 else round(rng.uniform(0.4, 0.95), 2)
        given = rng.randint(0, 6) + (4 if role == "interviewer" else 0)
        taken = rng.randint(0, 6)
        starts = _starts(rng, offset, cache)
        busy: tuple[tuple[datetime, datetime], ...] = ()
        if starts and rng.random() < 0.1:
            b = rng.choice(starts)
            busy = ((b, b + timedelta(minutes=60)),)
        types = [str(_pick(rng, TYPES_BY_TRACK[track]))]
        if rng.random() < 0.08:
            extra = str(_pick(rng, TYPES_BY_TRACK[track]))
            if extra not in types:
                types.append(extra)
        for t in types:
            if len(requests) >= n_requests:
                break
            waited = min(rng.expovariate(1 / 1.5), 21.0)
            left = 0 if rng.random() < 0.75 else rng.randint(1, 4)
            requests.append(
                MatchRequest(
                    request_id=f"q{len(requests):06d}",
                    member_id=member,
                    interview_type=t,
                    role=role,
                    track=track,
                    level=level,
                    languages=languages,
                    start_times=starts,
                    created_at=NOW - timedelta(days=waited),
                    times_left_out=left,
                    reliability=reliability,
                    given_as_interviewer=given,
                    taken_as_candidate=taken,
                    busy=busy,
                )
            )
            by_type.setdefault(t, []).append(member)
        members.append((member, track, types[0], offset))
    # A few confidential blocks and a history of past pairings inside each type.
    blocked: dict[str, str] = {}
    history: dict[frozenset[str], datetime] = {}
    for member, _track, t, _off in members:
        peers = by_type[t]
        if rng.random() < 0.015 and len(peers) > 1:
            blocked[member] = rng.choice(peers)
        if rng.random() < 0.6 and len(peers) > 1:
            for _ in range(rng.randint(1, 3)):
                other = rng.choice(peers)
                if other != member:
                    history[pair_key(member, other)] = NOW - timedelta(days=rng.uniform(1, 120))
    if blocked:
        requests = [
            MatchRequest(**{**_fields(r), "blocked": frozenset({blocked[r.member_id]})})
            if r.member_id in blocked
            else r
            for r in requests
        ]
    return MatchInput(
        requests=tuple(requests),
        now=NOW,
        history=history,
        neighbour_tracks=NEIGHBOURS,
        seed=seed,
        next_round_at=NOW + timedelta(days=1),
    )


def _fields(r: MatchRequest) -> dict[str, Any]:
    return {name: getattr(r, name) for name in MatchRequest.__slots__}


# ----------------------------------------------------------------------------- solvers

#: Exact optima computed once outside the benchmark (too slow for a run), by size and seed:
#: the total score of ``rustworkx.max_weight_matching(max_cardinality=True)`` on the full,
#: unpruned compatibility graph of ``generate(size, seed)``, and its pairs.
STORED_OPTIMA: dict[tuple[int, int], tuple[int, int, str]] = {
    (10000, 1): (9_892_907, 4_755, "rustworkx on the full graph, computed once (955 s)"),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    seconds: float
    pairs: list[tuple[int, int]]  # global request indices
    weight: int
    proven: bool | None = None


@dataclass(frozen=True, slots=True)
class FullArrays:
    """The full compatibility graph as arrays (global request indices, ``u < v``), sorted by
    ``u * n + v`` so a pair's weight is found by binary search."""

    n: int
    active: npt.NDArray[np.int64]
    u: npt.NDArray[np.int64]
    v: npt.NDArray[np.int64]
    weight: npt.NDArray[np.int64]
    seconds: float

    def weight_of(self, pairs: Sequence[tuple[int, int]]) -> int:
        if not pairs:
            return 0
        arr = np.asarray(pairs, dtype=np.int64)
        keys = arr[:, 0] * self.n + arr[:, 1]
        pos = np.searchsorted(self.u * self.n + self.v, keys)
        return int(self.weight[pos].sum())


def full_arrays(inp: MatchInput) -> FullArrays:
    """Every compatible pair with its exact score (as ``engine.full_graph``, without a Python
    object per edge: at 10,000 requests that graph has 3 million edges)."""
    t0 = time.perf_counter()
    rnd = _Round(inp)
    active = rnd.choose_active()
    us: list[npt.NDArray[np.int64]] = []
    vs: list[npt.NDArray[np.int64]] = []
    ws: list[npt.NDArray[np.int64]] = []
    for t, index in rnd.by_type(active).items():
        b = rnd.bucket(t, index)
        e = g.bucket_edges(b, None, jitter=False)
        us.append(b.index[e.u])
        vs.append(b.index[e.v])
        ws.append(e.weight)
    n = len(inp.requests)
    u = np.concatenate(us) if us else np.zeros(0, dtype=np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, dtype=np.int64)
    w = np.concatenate(ws) if ws else np.zeros(0, dtype=np.int64)
    order = np.argsort(u * n + v, kind="stable")
    return FullArrays(n, np.asarray(active, dtype=np.int64), u[order], v[order], w[order],
                      time.perf_counter() - t0)


def run_peerloop(inp: MatchInput, pool: Executor | None = None) -> Outcome:
    index = {r.request_id: i for i, r in enumerate(inp.requests)}
    t0 = time.perf_counter()
    res = match(inp, executor=pool)
    seconds = time.perf_counter() - t0
    pairs = sorted(tuple(sorted(index[x] for x in p.request_ids)) for p in res.pairs)
    return Outcome(seconds, [(a, b) for a, b in pairs], res.total_weight, res.stats.max_pairs_proven)


def run_networkx(fg: FullArrays) -> Outcome:
    import networkx as nx

    t0 = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(fg.active.tolist())
    graph.add_weighted_edges_from(zip(fg.u.tolist(), fg.v.tolist(), fg.weight.tolist(), strict=True))
    mate = nx.max_weight_matching(graph, maxcardinality=True)
    seconds = time.perf_counter() - t0 + fg.seconds
    pairs = sorted((min(a, b), max(a, b)) for a, b in mate)
    return Outcome(seconds, pairs, fg.weight_of(pairs))


def run_rustworkx_full(fg: FullArrays) -> Outcome:
    """The exact optimum by the reference implementation on the unpruned graph."""
    t0 = time.perf_counter()
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(fg.n))
    graph.add_edges_from(list(zip(fg.u.tolist(), fg.v.tolist(), fg.weight.tolist(), strict=True)))
    pairs: list[tuple[int, int]] = []
    for comp in rx.connected_components(graph):
        if len(comp) < 2:
            continue
        sub = graph.subgraph(sorted(comp))
        for x, y in rx.max_weight_matching(sub, max_cardinality=True, weight_fn=int):
            a, b = int(sub[x]), int(sub[y])
            pairs.append((min(a, b), max(a, b)))
    seconds = time.perf_counter() - t0 + fg.seconds
    pairs.sort()
    return Outcome(seconds, pairs, fg.weight_of(pairs))


def run_greedy(fg: FullArrays) -> Outcome:
    """Heaviest compatible pair first (ties by request index)."""
    t0 = time.perf_counter()
    order = np.lexsort((fg.v, fg.u, -fg.weight))
    used = np.zeros(fg.n, dtype=np.bool_)
    pairs: list[tuple[int, int]] = []
    left = len(fg.active)
    for a, b in zip(fg.u[order].tolist(), fg.v[order].tolist(), strict=True):
        if used[a] or used[b]:
            continue
        used[a] = used[b] = True
        pairs.append((a, b))
        left -= 2
        if left < 2:
            break
    seconds = time.perf_counter() - t0 + fg.seconds
    pairs.sort()
    return Outcome(seconds, pairs, fg.weight_of(pairs))


# ----------------------------------------------------------------------------- report


def _summary(inp: MatchInput, out: Outcome, max_pairs: int | None, optimum: int | None
             ) -> dict[str, Any]:
    reqs = inp.requests
    repeats = sum(
        1 for a, b in out.pairs if pair_key(reqs[a].member_id, reqs[b].member_id) in inp.history
    )
    waits = [
        (inp.now - reqs[i].created_at).total_seconds() / 86_400 for p in out.pairs for i in p
    ]
    summary: dict[str, Any] = {
        "seconds": round(out.seconds, 4),
        "pairs": len(out.pairs),
        "pairs_share": None if not max_pairs else round(len(out.pairs) / max_pairs, 6),
        "weight": out.weight,
        "weight_share": None if not optimum else round(out.weight / optimum, 6),
        "repeat_pairs": repeats,
        "median_wait_days": round(statistics.median(waits), 3) if waits else None,
    }
    if out.proven is not None:
        summary["max_pairs_proven"] = out.proven
    return summary


def bench_size(
    n: int,
    seed: int,
    *,
    networkx_limit: int,
    exact_limit: int,
    greedy: bool = True,
    repeat: int = 1,
    pool: Executor | None = None,
) -> dict[str, Any]:
    inp = generate(n, seed)
    runs = [run_peerloop(inp, pool) for _ in range(max(1, repeat))]
    if any(r.pairs != runs[0].pairs for r in runs):
        raise RuntimeError("PeerLoop gave different results for the same input")
    peer = min(runs, key=lambda r: r.seconds)
    stats = match(inp, executor=pool).stats
    fg = full_arrays(inp)
    nx_out: Outcome | None = None
    methods: dict[str, Any] = {}
    exact: Outcome | None = None
    source: str | None = None
    stored = STORED_OPTIMA.get((n, seed))
    if n <= networkx_limit:
        nx_out = exact = run_networkx(fg)
        source = "networkx"
    elif n <= exact_limit:
        exact = run_rustworkx_full(fg)
        source = "rustworkx on the full graph"
    max_pairs = len(exact.pairs) if exact else (stored[1] if stored else None)
    optimum = exact.weight if exact else (stored[0] if stored else None)
    if exact is None and stored is not None:
        source = f"stored: {stored[2]}"
    methods["peerloop"] = _summary(inp, peer, max_pairs, optimum)
    methods["peerloop"]["runs_seconds"] = [round(r.seconds, 4) for r in runs]
    methods["peerloop"]["median_seconds"] = round(statistics.median(r.seconds for r in runs), 4)
    methods["peerloop"]["pool"] = pool is not None
    if nx_out is not None:
        methods["networkx"] = _summary(inp, nx_out, max_pairs, optimum)
        methods["networkx"]["speedup_of_peerloop"] = round(nx_out.seconds / peer.seconds, 1)
    else:
        methods["networkx"] = {
            "skipped": f"more than {networkx_limit} requests ({len(fg.u)} compatible pairs); "
            "networkx would take too long (--networkx-limit)"
        }
    if exact is not None and source != "networkx":
        methods["exact_reference"] = _summary(inp, exact, max_pairs, optimum)
    if greedy:
        methods["greedy"] = _summary(inp, run_greedy(fg), max_pairs, optimum)
    return {
        "requests": n,
        "members": len({r.member_id for r in inp.requests}),
        "active_requests": len(fg.active),
        "compatible_pairs": len(fg.u),
        "kept_pairs": stats.kept_pairs,
        "exact_types": stats.exact_types,
        "pruned_types": stats.pruned_types,
        "max_pairs_proven": stats.max_pairs_proven,
        "max_pairs": max_pairs,
        "optimum_weight": optimum,
        "optimum_source": source or f"not computed (more than {exact_limit} requests)",
        "methods": methods,
    }


def _table(report: dict[str, Any]) -> str:
    pool = f"a pool of {report['workers']} worker processes" if report["workers"] else "one process"
    lines = [
        f"PeerLoop matching benchmark (seed {report['seed']}, {report['cpus']} CPUs, "
        f"prune_degree {report['prune_degree']}, PeerLoop in {pool})",
    ]
    head = f"{'method':<16}{'time s':>10}{'pairs':>8}{'pairs %':>10}{'weight %':>11}" \
           f"{'repeats':>9}{'med wait d':>12}"
    for size in report["sizes"]:
        lines.append("")
        lines.append(
            f"{size['requests']} requests, {size['members']} members, "
            f"{size['compatible_pairs']} compatible pairs ({size['kept_pairs']} kept); "
            f"optimum: {size['optimum_source']}"
        )
        proof = "proven" if size["max_pairs_proven"] else "NOT proven"
        lines.append(
            f"{'':<16}maximum number of pairs: {proof} ({size['exact_types']} interview types solved "
            f"exactly, {size['pruned_types']} pruned)"
        )
        lines.append(head)
        for name, m in size["methods"].items():
            if "skipped" in m:
                lines.append(f"{name:<16}skipped: {m['skipped']}")
                continue
            ps = "-" if m["pairs_share"] is None else f"{100 * m['pairs_share']:.3f}"
            ws = "-" if m["weight_share"] is None else f"{100 * m['weight_share']:.4f}"
            mw = "-" if m["median_wait_days"] is None else f"{m['median_wait_days']:.2f}"
            lines.append(
                f"{name:<16}{m['seconds']:>10.3f}{m['pairs']:>8}{ps:>10}{ws:>11}"
                f"{m['repeat_pairs']:>9}{mw:>12}"
            )
            if len(m.get("runs_seconds", ())) > 1:
                lines.append(
                    f"{'':<16}best of {len(m['runs_seconds'])} runs; median "
                    f"{m['median_seconds']:.3f} s"
                )
            if "speedup_of_peerloop" in m:
                lines.append(f"{'':<16}PeerLoop is {m['speedup_of_peerloop']}x faster")
    lines += [
        "",
        f"whole run {report['total_seconds']:.0f} s, peak memory {report['peak_mb']:.0f} MB "
        f"(targets for the default run: under 180 s and 2,048 MB); load average "
        f"{report['load_before']} before, {report['load_after']} after",
    ]
    return "\n".join(lines)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peerloop bench matching", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated request counts, e.g. 1000,5000")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds (CI)")
    parser.add_argument("--large", action="store_true",
                        help="add the 20,000-request size (minutes, several GB with the references)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--networkx-limit", type=int, default=1000,
                        help="largest size networkx runs at (default 1000; 2000 takes minutes)")
    parser.add_argument("--exact-limit", type=int, default=5000,
                        help="largest size the exact full-graph optimum is computed at "
                        "(default 5000; 10000 takes about a quarter of an hour; a stored figure "
                        "is used where there is one)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time PeerLoop this many times; the best and the median are shown")
    parser.add_argument("--no-greedy", action="store_true", help="skip the greedy baseline")
    parser.add_argument("--workers", type=int, default=None,
                        help="PeerLoop's worker processes (default: the CPUs; 0: in this process)")
    args = parser.parse_args(argv)
    if args.sizes:
        try:
            sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
        except ValueError:
            parser.error("--sizes takes comma-separated integers, e.g. 1000,5000")
        if any(s < 2 for s in sizes):
            parser.error("every size must be at least 2")
    else:
        sizes = list(SMOKE_SIZES if args.smoke else FULL_SIZES)
        if args.large and not args.smoke:
            sizes.append(LARGE_SIZE)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    workers = (os.cpu_count() or 1) if args.workers is None else max(0, args.workers)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "prune_degree": MatchInput(requests=(), now=NOW).prune_degree,
        "workers": workers,
        "load_before": _load(),
        "sizes": [],
    }
    pool = solver_pool(workers) if workers else None
    try:
        if pool is not None:
            report["workers_started"] = warm(pool, workers)  # started once, before any timing
        emit: Callable[[str], object] = sys.stdout.write
        for n in sizes:
            report["sizes"].append(
                bench_size(n, args.seed, networkx_limit=args.networkx_limit,
                           exact_limit=args.exact_limit, greedy=not args.no_greedy,
                           repeat=args.repeat, pool=pool)
            )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    report["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["load_after"] = _load()
    if args.json:
        emit(json.dumps(report, indent=2, allow_nan=False) + "\n")
    else:
        emit(_table(report) + "\n")
    return 0 if all(math.isfinite(s["requests"]) for s in report["sizes"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
