"""Property tests: hard rules always hold and the result is the exact optimum."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching import MatchInput, MatchRequest, MatchResult, match, pair_key
from bot.matching.engine import full_graph
from bot.matching.pool import solver_pool, warm
from bot.matching.scores import level_allows, role_mode
from tests.matching.helpers import NOW, at

SLOTS = [at(h) for h in (2, 2.5, 3, 20, 26, 50)]
MEMBERS = [f"m{i}" for i in range(9)]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rounds(draw: st.DrawFn) -> MatchInput:
    n = draw(st.integers(0, 14))
    requests = []
    for i in range(n):
        member = draw(st.sampled_from(MEMBERS))
        starts = tuple(draw(st.lists(st.sampled_from(SLOTS), max_size=4, unique=True)))
        busy = ()
        if starts and draw(st.booleans()) and draw(st.booleans()):
            b = draw(st.sampled_from(starts))
            busy = ((b + timedelta(minutes=30), b + timedelta(minutes=60)),)
        requests.append(
            MatchRequest(
                request_id=f"r{i}",
                member_id=member,
                interview_type=draw(st.sampled_from(["coding", "coding", "behavioral"])),
                role=draw(st.sampled_from(["swap", "swap", "candidate", "interviewer"])),
                track=draw(st.sampled_from(["backend", "frontend", "sre"])),
                level=draw(st.integers(0, 3)),
                languages=draw(
                    st.sampled_from(
                        [frozenset({"en"}), frozenset({"en", "de"}), frozenset({"de"}), frozenset()]
                    )
                ),
                start_times=starts,
                created_at=NOW - timedelta(hours=draw(st.integers(0, 200))),
                times_left_out=draw(st.integers(0, 3)),
                reliability=draw(st.sampled_from([1.0, 0.9, 0.5])),
                given_as_interviewer=draw(st.integers(0, 5)),
                taken_as_candidate=draw(st.integers(0, 5)),
                blocked=frozenset(draw(st.lists(st.sampled_from(MEMBERS), max_size=1))),
                busy=busy,
                interviewer_rating=draw(st.sampled_from([0.0, 0.35, 0.8, 1.0])),
                candidate_need=draw(st.sampled_from([0.0, 0.2, 0.67, 1.0])),
            )
        )
    history = {}
    for _ in range(draw(st.integers(0, 6))):
        a, b = draw(st.sampled_from(MEMBERS)), draw(st.sampled_from(MEMBERS))
        if a != b:
            history[pair_key(a, b)] = NOW - timedelta(days=draw(st.integers(0, 60)))
    return MatchInput(
        requests=tuple(requests),
        now=NOW,
        history=history,
        neighbour_tracks={"backend": frozenset({"sre"})},
        seed=draw(st.integers(0, 3)),
        next_round_at=NOW + timedelta(days=1),
    )


def _check_hard_rules(inp: MatchInput, res: MatchResult) -> None:
    by_id = {r.request_id: r for r in inp.requests}
    members: list[str] = []
    for p in res.pairs:
        a, b = by_id[p.request_ids[0]], by_id[p.request_ids[1]]
        assert a.member_id != b.member_id
        assert a.interview_type == b.interview_type == p.interview_type
        assert p.start in a.start_times and p.start in b.start_times
        assert p.start >= inp.now
        assert b.member_id not in a.blocked and a.member_id not in b.blocked
        if a.languages and b.languages:
            assert a.languages & b.languages
        for r in (a, b):
            for s, e in r.busy:
                assert not (p.start < e and s < p.end)
        mode = role_mode(a.role, b.role)
        assert level_allows(mode, a.level, b.level)
        if p.mode == "swap":
            assert a.role == b.role == "swap"
        else:
            roles = {a.member_id: a.role, b.member_id: b.role}
            assert roles[p.interviewer_first] in ("swap", "interviewer")
            assert roles[p.candidate_first] in ("swap", "candidate")
            level = {a.member_id: a.level, b.member_id: b.level}
            assert level[p.interviewer_first] >= level[p.candidate_first] - 1
        assert sum(v for _, v in p.breakdown) == p.weight
        members += p.member_ids
    # One session per member per round: never two at overlapping (or any) times.
    assert len(members) == len(set(members))
    # Every request is either paired or explained.
    paired = {r for p in res.pairs for r in p.request_ids}
    left = {u.request_id for u in res.unmatched}
    assert paired | left == set(by_id) and not paired & left


@SETTINGS
@given(rounds())
def test_every_pair_respects_every_hard_rule(inp: MatchInput) -> None:
    _check_hard_rules(inp, match(inp))


@SETTINGS
@given(rounds())
def test_pruned_matching_still_respects_every_hard_rule(inp: MatchInput) -> None:
    for split in (False, True):
        pruned = _pruned(inp, split)
        _check_hard_rules(pruned, match(pruned))
        assert match(pruned) == match(pruned)  # deterministic


@SETTINGS
@given(rounds())
def test_optimal_against_networkx_on_the_full_graph(inp: MatchInput) -> None:
    res = match(inp)
    fg = full_graph(inp)
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(fg.u, fg.v, fg.weight, strict=True))
    mate = nx.max_weight_matching(graph, maxcardinality=True)
    weight = {(u, v): w for u, v, w in zip(fg.u, fg.v, fg.weight, strict=True)}
    optimum = sum(weight[(min(a, b), max(a, b))] for a, b in mate)
    assert len(res.pairs) == len(mate)  # maximum cardinality
    assert res.total_weight == optimum  # then maximum weight
    # Our pairs are edges of that graph with the same weights.
    index = {r.request_id: i for i, r in enumerate(inp.requests)}
    for p in res.pairs:
        a, b = sorted(index[x] for x in p.request_ids)
        assert weight[(a, b)] == p.weight


@SETTINGS
@given(rounds())
def test_same_seed_same_result(inp: MatchInput) -> None:
    assert match(inp) == match(inp)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Two worker processes, started once for the module (as a deployment starts them once)."""
    executor = solver_pool(2)
    try:
        assert warm(executor, 2) == 2
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _pruned(inp: MatchInput, split: bool = False) -> MatchInput:
    """Every type pruned (to very few partners); with ``split``, solved track by track."""
    from dataclasses import replace

    return replace(
        inp, prune_degree=1, band_partners=1, exact_up_to=0, split_above=0 if split else 10**6
    )


@SETTINGS
@given(rounds())
def test_the_process_pool_gives_the_same_result(pool: ProcessPoolExecutor, inp: MatchInput) -> None:
    # Interview types solved in parallel in worker processes: every hard rule still holds and
    # the result is the one of the process alone (pairs, scores, reasons, left-out, stats).
    for variant in (inp, _pruned(inp), _pruned(inp, split=True)):
        in_pool = match(variant, executor=pool)
        _check_hard_rules(variant, in_pool)
        assert in_pool == match(variant)


@SETTINGS
@given(rounds())
def test_max_pairs_proven_means_no_larger_matching_exists(inp: MatchInput) -> None:
    exact = match(inp)
    assert exact.stats.max_pairs_proven and exact.stats.pruned_types == 0
    fg = full_graph(inp)
    graph = nx.Graph()
    graph.add_edges_from(zip(fg.u, fg.v, strict=True))
    most = len(nx.max_weight_matching(graph, maxcardinality=True))
    for split in (False, True):
        res = match(_pruned(inp, split))
        assert len(res.pairs) <= most
        if res.stats.max_pairs_proven:
            assert len(res.pairs) == most
