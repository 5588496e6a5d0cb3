"""Solving one interview type's pruned compatibility graph: a maximum-cardinality,
maximum-weight matching, component by component (:func:`solve_edges`), or, for large types,
track by track then across tracks (:func:`solve_by_track`). Plain arrays in, pairs out: the
engine (``engine.py``) builds the graphs and explains the result."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import rustworkx as rx

from bot.matching import edges as ed
from bot.matching import scores as sc


def solve_edges(
    n: int, edges: ed.Edges, order: sc.IntArray | None = None
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


#: Classes per track in ``Bucket.cls`` (three roles times four levels): ``cls // 12`` is the track.
TRACK_CLASSES = 12

#: Partners per request, the best by score, that the boundary step of :func:`solve_by_track`
#: follows beyond the requests left unpaired and their own partners (two steps of it).
BOUNDARY_PARTNERS = 4


def solve_by_track(
    n: int, edges: ed.Edges, order: sc.IntArray | None, piece: sc.IntArray
) -> tuple[list[tuple[int, int, int]], list[int], bool]:
    """The pairs of a pruned bucket, solved track by track (``piece``: a label per row).

    The solver's time grows about with the square of a graph's size, and the best pairs
    nearly all lie within one track (the same track is worth 300 points, and pruning keeps
    each request's best partners), so:

    1. each track's requests are solved alone, on the kept edges inside the track;
    2. the boundary: the requests left unpaired (one per track of odd size, typically),
       all their kept partners and those partners' current partners, then twice over the
       best ``BOUNDARY_PARTNERS`` partners of each request added and their current
       partners, are solved together on every kept edge among them: this finds the pairs
       across tracks (:func:`_boundary`);
    3. the requests whose partner went to a pair across tracks (and any left unpaired) are
       solved again inside their tracks, with all their kept partners and those partners'
       current partners, twice over (solving the whole tracks again gave the same pairs at
       10,000 requests, in half as much time again).

    The result is the better (pairs first, then score) of steps 2 and 3, each at least as good
    as step 1, but it is not guaranteed to be the optimum of the kept graph (docs/matching.md
    measures what it costs). When more than one request with a kept partner is left
    unpaired, the count of pairs could not be proven the most, so the whole kept graph is
    solved at once instead: then the result is exactly the one-solve result.
    Returns the pairs, the sizes of the kept graph's components with an edge, and whether
    the pairs are the track-by-track ones (False: one solve)."""
    sizes = _component_sizes(n, edges)
    if np.unique(piece).size < 2:
        return solve_edges(n, edges, order)[0], sizes, False
    same = piece[edges.u] == piece[edges.v]
    first, _ = solve_edges(n, _subset(edges, same), order)
    mate = _mates(n, first)
    degree = np.bincount(np.concatenate([edges.u, edges.v]), minlength=n)
    loose = np.flatnonzero((mate < 0) & (degree > 0))
    if loose.size == 0:
        return first, sizes, True
    region = _boundary(n, edges, mate, loose)
    settled, _ = solve_edges(n, _subset(edges, region[edges.u] & region[edges.v]), order)
    step2 = sorted([p for p in first if not region[p[0]]] + settled)
    across = [p for p in settled if piece[p[0]] != piece[p[1]]]
    used = np.zeros(n, dtype=np.bool_)
    for u, v, _w in across:
        used[u] = used[v] = True
    kept = [p for p in first if not (used[p[0]] or used[p[1]])] + across
    mate = _mates(n, kept)
    orphans = np.flatnonzero((mate < 0) & (degree > 0) & ~used)
    step3 = kept
    if orphans.size:
        inner = _subset(edges, same & ~used[edges.u] & ~used[edges.v])
        again = _boundary(n, inner, mate, orphans, (None, None))
        redone, _ = solve_edges(n, _subset(inner, again[inner.u] & again[inner.v]), order)
        step3 = [p for p in kept if not again[p[0]]] + redone
    step3.sort()
    pairs = max(step3, step2, key=lambda ps: (len(ps), sum(w for _u, _v, w in ps)))
    if np.count_nonzero((_mates(n, pairs) < 0) & (degree > 0)) > 1:
        return solve_edges(n, edges, order)[0], sizes, False
    return pairs, sizes, True


def _subset(edges: ed.Edges, keep: sc.BoolArray) -> ed.Edges:
    return ed.Edges(
        u=edges.u[keep],
        v=edges.v[keep],
        weight=edges.weight[keep],
        compatible_pairs=edges.compatible_pairs,
        full=False,
    )


def _mates(n: int, pairs: Sequence[tuple[int, int, int]]) -> sc.IntArray:
    """Each row's partner in ``pairs``, -1 when unpaired."""
    mate = np.full(n, -1, dtype=np.int64)
    if pairs:
        arr = np.asarray([(u, v) for u, v, _w in pairs], dtype=np.int64)
        mate[arr[:, 0]] = arr[:, 1]
        mate[arr[:, 1]] = arr[:, 0]
    return mate


def _boundary(
    n: int,
    edges: ed.Edges,
    mate: sc.IntArray,
    loose: sc.IntArray,
    limits: Sequence[int | None] = (None, BOUNDARY_PARTNERS, BOUNDARY_PARTNERS),
) -> sc.BoolArray:
    """The rows a step of :func:`solve_by_track` solves again: ``loose``, then once per entry
    of ``limits``, the kept partners of each row added last (the best ``limit`` by score,
    all of them for None) and those partners' ``mate``s."""
    src = np.concatenate([edges.u, edges.v])
    dst = np.concatenate([edges.v, edges.u])
    weight = np.concatenate([edges.weight, edges.weight])
    by_row = np.lexsort((dst, -weight, src))
    dst = dst[by_row]
    start = np.searchsorted(src[by_row], np.arange(n + 1))
    region = np.zeros(n, dtype=np.bool_)
    region[loose] = True
    frontier = loose
    for limit in limits:
        count = start[frontier + 1] - start[frontier]
        if limit is not None:
            count = np.minimum(count, limit)
        offset = np.repeat(start[frontier] - np.cumsum(count) + count, count)
        near = dst[offset + np.arange(int(count.sum()))]
        near = np.unique(near[~region[near]])
        region[near] = True
        mates = mate[near]
        mates = np.unique(mates[mates >= 0])
        mates = mates[~region[mates]]
        region[mates] = True
        frontier = np.concatenate([near, mates])
    return region


def _component_sizes(n: int, edges: ed.Edges) -> list[int]:
    """Sizes of the connected components with an edge, by their smallest row."""
    if edges.u.size == 0:
        return []
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from_no_data(list(zip(edges.u.tolist(), edges.v.tolist(), strict=True)))
    comps = [c for c in rx.connected_components(graph) if len(c) > 1]
    comps.sort(key=min)
    return [len(c) for c in comps]
