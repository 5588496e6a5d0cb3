"""The solver step: components, seeded node order, class tables."""

from __future__ import annotations

import random

import numpy as np
import pytest
import rustworkx as rx

from bot.matching import edges as ed
from bot.matching import scores as sc
from bot.matching.engine import solve_edges
from bot.matching.model import Weights


def _random_edges(rng: random.Random, n: int, clusters: int, m: int) -> ed.Edges:
    """A random graph made of ``clusters`` groups of nodes (edges only inside a group)."""
    group = [rng.randrange(clusters) for _ in range(n)]
    seen: dict[tuple[int, int], int] = {}
    while len(seen) < m:
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b and group[a] == group[b]:
            seen[(min(a, b), max(a, b))] = rng.choice((1000, 1150, 1300, rng.randrange(900, 2000)))
    keys = sorted(seen)
    return ed.Edges(
        u=np.asarray([k[0] for k in keys], dtype=np.int64),
        v=np.asarray([k[1] for k in keys], dtype=np.int64),
        weight=np.asarray([seen[k] for k in keys], dtype=np.int64),
        compatible_pairs=len(keys),
    )


def _whole_graph_optimum(n: int, e: ed.Edges) -> tuple[int, int]:
    graph: rx.PyGraph = rx.PyGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(list(zip(e.u.tolist(), e.v.tolist(), e.weight.tolist(), strict=True)))
    mate = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)
    return len(mate), sum(int(graph.get_edge_data(a, b)) for a, b in mate)


@pytest.mark.parametrize("seed", range(6))
def test_components_and_node_order_keep_the_optimum(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randrange(60, 160)
    e = _random_edges(rng, n, clusters=rng.randrange(1, 6), m=rng.randrange(n, 4 * n))
    expected = _whole_graph_optimum(n, e)
    weights_of = dict(
        zip(zip(e.u.tolist(), e.v.tolist(), strict=True), e.weight.tolist(), strict=True)
    )
    order = np.asarray(rng.sample(range(n), n), dtype=np.int64)
    for given in (None, order):
        pairs, sizes = solve_edges(n, e, given)
        nodes = [x for a, b, _ in pairs for x in (a, b)]
        assert len(nodes) == len(set(nodes))
        assert all(weights_of[(a, b)] == w for a, b, w in pairs)
        assert (len(pairs), sum(w for _, _, w in pairs)) == expected
        assert sum(sizes) <= n


def test_class_tables_match_the_rules() -> None:
    tracks = ("backend", "frontend", "full-stack", "sre")
    neighbours = {"backend": frozenset({"sre"}), "sre": frozenset({"backend"})}
    weights = Weights()
    mode, roles, score = sc.class_tables(tracks, weights, neighbours)
    names = ("swap", "candidate", "interviewer")
    for ta, track_a in enumerate(tracks):
        for tb, track_b in enumerate(tracks):
            rel = sc.track_relation(track_a, track_b, neighbours)
            tp = (0, weights.neighbour_track, weights.same_track)[rel]
            for ra, role_a in enumerate(names):
                for rb, role_b in enumerate(names):
                    want = sc.role_mode(role_a, role_b)
                    for la in range(4):
                        for lb in range(4):
                            a = (ta * 3 + ra) * 4 + la
                            b = (tb * 3 + rb) * 4 + lb
                            assert roles[a, b] == (want != sc.INVALID)
                            fits = sc.level_allows(want, la, lb)
                            assert mode[a, b] == (want if fits else sc.INVALID)
                            assert score[a, b] == (
                                weights.base + tp + weights.level_points(abs(la - lb))
                            )
