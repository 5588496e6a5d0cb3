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
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import rustworkx as rx

from benchmarks.parts.matching_community import NOW, generate
from bot.matching import edges as ed
from bot.matching.engine import _Round, match
from bot.matching.model import MatchInput, pair_key
from bot.matching.pool import solver_pool, warm

FULL_SIZES = (1000, 5000, 10000)
LARGE_SIZE = 20000
SMOKE_SIZES = (120, 400)


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
        e = ed.bucket_edges(b, None, jitter=False)
        us.append(b.index[e.u])
        vs.append(b.index[e.v])
        ws.append(e.weight)
    n = len(inp.requests)
    u = np.concatenate(us) if us else np.zeros(0, dtype=np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, dtype=np.int64)
    w = np.concatenate(ws) if ws else np.zeros(0, dtype=np.int64)
    order = np.argsort(u * n + v, kind="stable")
    return FullArrays(
        n,
        np.asarray(active, dtype=np.int64),
        u[order],
        v[order],
        w[order],
        time.perf_counter() - t0,
    )


def run_peerloop(inp: MatchInput, pool: Executor | None = None) -> Outcome:
    index = {r.request_id: i for i, r in enumerate(inp.requests)}
    t0 = time.perf_counter()
    res = match(inp, executor=pool)
    seconds = time.perf_counter() - t0
    pairs = sorted(tuple(sorted(index[x] for x in p.request_ids)) for p in res.pairs)
    return Outcome(
        seconds, [(a, b) for a, b in pairs], res.total_weight, res.stats.max_pairs_proven
    )


def run_networkx(fg: FullArrays) -> Outcome:
    import networkx as nx

    t0 = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(fg.active.tolist())
    graph.add_weighted_edges_from(
        zip(fg.u.tolist(), fg.v.tolist(), fg.weight.tolist(), strict=True)
    )
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


def _summary(
    inp: MatchInput, out: Outcome, max_pairs: int | None, optimum: int | None
) -> dict[str, Any]:
    reqs = inp.requests
    repeats = sum(
        1 for a, b in out.pairs if pair_key(reqs[a].member_id, reqs[b].member_id) in inp.history
    )
    waits = [(inp.now - reqs[i].created_at).total_seconds() / 86_400 for p in out.pairs for i in p]
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
        "split_types": stats.split_types,
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
    head = (
        f"{'method':<16}{'time s':>10}{'pairs':>8}{'pairs %':>10}{'weight %':>11}"
        f"{'repeats':>9}{'med wait d':>12}"
    )
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
            f"exactly, {size['pruned_types']} pruned, {size['split_types']} of them track by track)"
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
    parser = argparse.ArgumentParser(
        prog="peerloop bench matching", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", help="comma-separated request counts, e.g. 1000,5000")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds (CI)")
    parser.add_argument(
        "--large",
        action="store_true",
        help="add the 20,000-request size (minutes, several GB with the references)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--networkx-limit",
        type=int,
        default=1000,
        help="largest size networkx runs at (default 1000; 2000 takes minutes)",
    )
    parser.add_argument(
        "--exact-limit",
        type=int,
        default=5000,
        help="largest size the exact full-graph optimum is computed at "
        "(default 5000; 10000 takes about a quarter of an hour; a stored figure "
        "is used where there is one)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time PeerLoop this many times; the best and the median are shown",
    )
    parser.add_argument("--no-greedy", action="store_true", help="skip the greedy baseline")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="PeerLoop's worker processes (default: the CPUs; 0: in this process)",
    )
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
                bench_size(
                    n,
                    args.seed,
                    networkx_limit=args.networkx_limit,
                    exact_limit=args.exact_limit,
                    greedy=not args.no_greedy,
                    repeat=args.repeat,
                    pool=pool,
                )
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
