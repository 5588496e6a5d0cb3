"""The solver step: components, seeded node order, class tables."""

from __future__ import annotations

import random

import numpy as np
import pytest
import rustworkx as rx

from bot.matching import edges as ed
from bot.matching import scores as sc
from bot.matching.model import Weights
from bot.matching.solve import solve_by_track, solve_edges


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


def _tracked_edges(rng: random.Random, n: int, tracks: int) -> tuple[ed.Edges, np.ndarray]:
    """A random graph whose nodes belong to ``tracks`` groups: most edges inside a group and
    mostly worth more there (as the same track is), a few across."""
    piece = np.asarray([rng.randrange(tracks) for _ in range(n)], dtype=np.int64)
    seen: dict[tuple[int, int], int] = {}
    for _ in range(rng.randrange(3 * n, 8 * n)):
        a, b = rng.randrange(n), rng.randrange(n)
        if a == b:
            continue
        inside = piece[a] == piece[b]
        if not inside and rng.random() < 0.8:
            continue
        # inside: as the same track; across: mostly less, now and then more
        weight = rng.randrange(1300, 1700) if inside else rng.choice((1000, 1200, 1900))
        seen[(min(a, b), max(a, b))] = weight
    keys = sorted(seen)
    edges = ed.Edges(
        u=np.asarray([k[0] for k in keys], dtype=np.int64),
        v=np.asarray([k[1] for k in keys], dtype=np.int64),
        weight=np.asarray([seen[k] for k in keys], dtype=np.int64),
        compatible_pairs=len(keys),
        full=False,
    )
    return edges, piece


@pytest.mark.parametrize("seed", range(12))
def test_solving_track_by_track_is_a_matching_at_least_as_good_as_the_tracks_alone(
    seed: int,
) -> None:
    rng = random.Random(seed)
    n = rng.randrange(30, 140)
    e, piece = _tracked_edges(rng, n, tracks=rng.randrange(2, 6))
    order = np.asarray(rng.sample(range(n), n), dtype=np.int64)
    weights_of = dict(
        zip(zip(e.u.tolist(), e.v.tolist(), strict=True), e.weight.tolist(), strict=True)
    )
    pairs, sizes, split = solve_by_track(n, e, order, piece)
    nodes = [x for a, b, _ in pairs for x in (a, b)]
    assert len(nodes) == len(set(nodes))
    assert all(weights_of[(a, b)] == w for a, b, w in pairs)
    assert sizes == solve_edges(n, e, order)[1]
    got = (len(pairs), sum(w for _, _, w in pairs))
    # Never better than the optimum of the graph, never worse than each track alone.
    assert got <= _whole_graph_optimum(n, e)
    inside = piece[e.u] == piece[e.v]
    alone = solve_edges(
        n, ed.Edges(e.u[inside], e.v[inside], e.weight[inside], e.compatible_pairs, False), order
    )[0]
    assert got >= (len(alone), sum(w for _, _, w in alone))
    # At most one request with a partner left unpaired (the most pairs there can be), or
    # else exactly the one-solve result.
    with_partner = set(e.u.tolist()) | set(e.v.tolist())
    if len(with_partner - set(nodes)) > 1:
        assert pairs == solve_edges(n, e, order)[0] and not split
    else:
        assert len(pairs) == _whole_graph_optimum(n, e)[0]
    assert (pairs, sizes, split) == solve_by_track(n, e, order, piece)  # deterministic


def test_the_first_common_day_from_one_product_equals_one_product_per_day() -> None:
    from bot.matching import engine, graph
    from bot.matching.model import MatchInput, MatchRequest
    from tests.matching.helpers import NOW, at

    rng = random.Random(5)
    hours = [d * 24 + h for d in range(9) for h in (1, 1.5, 9, 20, 20.5, 23.5)]
    requests = [
        MatchRequest(
            request_id=f"r{i}",
            member_id=f"m{i}",
            interview_type="coding",
            role="swap",
            track=rng.choice(("backend", "frontend")),
            level=rng.randrange(4),
            start_times=tuple(at(h) for h in sorted(rng.sample(hours, rng.randrange(1, 8)))),
            created_at=NOW,
            reliability=rng.choice((1.0, 0.5, 0.93)),
        )
        for i in range(300)
    ]
    rnd = engine._Round(MatchInput(requests=tuple(requests), now=NOW))
    b = rnd.bucket("coding", range(len(requests)))
    assert b.slot_scale is not None and len(b.day_slots) == 9
    rows = np.arange(0, 300, 3, dtype=np.int64)
    one = graph.score_block(b, rows)
    b.slot_scale = None  # too many days for a float's exponent: one product per day
    per_day = graph.score_block(b, rows)
    assert np.array_equal(one.first_day, per_day.first_day)
    assert np.array_equal(one.ok, per_day.ok) and np.array_equal(one.pair, per_day.pair)
    assert one.ok.any() and (one.first_day >= 1).any()
    assert np.array_equal(graph.compatible_block(b, rows), one.ok)
