"""Hard rules, soft preferences and reasons of the PeerLoop matcher."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from bot.matching import MatchRequest, Weights, match, pair_key
from bot.matching.scores import repeat_points
from tests.matching.helpers import NOW, at, code_of, inp, pairs_of, req

# ------------------------------------------------------------------ hard rules


def test_same_interview_type_only() -> None:
    res = match(inp([req("a"), req("b", interview_type="behavioral")]))
    assert res.pairs == ()
    assert code_of(res, "a") == "no_one_else_for_type"
    assert "coding" in {u.request_id: u.text for u in res.unmatched}["a"]


def test_needs_a_common_start_and_picks_the_earliest() -> None:
    res = match(inp([req("a", start_times=(at(10),)), req("b", start_times=(at(12),))]))
    assert res.pairs == ()
    assert code_of(res, "a") == "no_shared_times"
    res = match(
        inp(
            [
                req("a", start_times=(at(30), at(12), at(40))),
                req("b", start_times=(at(40), at(30))),
            ]
        )
    )
    (pair,) = res.pairs
    assert pair.start == at(30)
    assert pair.end == at(31)


def test_never_paired_with_themselves() -> None:
    res = match(inp([req("a", member="m"), req("b", member="m")]))
    assert res.pairs == ()


@pytest.mark.parametrize("blocker", ["a", "b"])
def test_blocked_pairs_never_meet_in_either_direction(blocker: str) -> None:
    other = "b" if blocker == "a" else "a"
    requests = [
        req("a", blocked=frozenset({"m-b"}) if blocker == "a" else frozenset()),
        req("b", blocked=frozenset({"m-a"}) if blocker == "b" else frozenset()),
    ]
    res = match(inp(requests))
    assert res.pairs == ()
    # The member who blocked is told so; the other one learns nothing about the block.
    assert code_of(res, blocker) == "only_blocked_fit"
    assert code_of(res, other) == "no_suitable_partner"
    assert "block" not in {u.request_id: u.text for u in res.unmatched}[other]


def test_blocked_member_is_routed_around() -> None:
    res = match(inp([req("a", blocked=frozenset({"m-b"})), req("b"), req("c"), req("d")]))
    assert frozenset({"a", "b"}) not in pairs_of(res)
    assert len(res.pairs) == 2


def test_busy_interval_makes_a_start_unusable() -> None:
    booked = ((at(18) + timedelta(minutes=30), at(19) + timedelta(minutes=30)),)
    a = req("a", start_times=(at(18), at(20)), busy=booked)
    b = req("b", start_times=(at(18), at(20)))
    (pair,) = match(inp([a, b])).pairs
    assert pair.start == at(20)
    res = match(inp([req("a", start_times=(at(18),), busy=booked), req("b")]))
    assert code_of(res, "a") == "no_free_times"


def test_past_starts_are_not_used() -> None:
    res = match(inp([req("a", start_times=(at(-2),)), req("b", start_times=(at(-2),))]))
    assert res.pairs == ()
    assert code_of(res, "a") == "no_free_times"


def test_member_with_two_requests_is_never_double_booked() -> None:
    requests = [
        req("x1", member="x", interview_type="coding"),
        req("x2", member="x", interview_type="behavioral"),
        req("c"),
        req("d", interview_type="behavioral"),
    ]
    res = match(inp(requests))
    members = [m for p in res.pairs for m in p.member_ids]
    assert len(members) == len(set(members)) == 2
    left = {u.request_id: u for u in res.unmatched}
    paired_req = next(r for p in res.pairs for r in p.request_ids if r.startswith("x"))
    other_req = "x2" if paired_req == "x1" else "x1"
    assert left[other_req].code == "member_already_paired"


def test_second_request_is_used_when_the_first_has_no_partner() -> None:
    requests = [
        req("x1", member="x", interview_type="coding", times_left_out=3),  # nobody else codes
        req("x2", member="x", interview_type="behavioral"),
        req("d", interview_type="behavioral"),
    ]
    res = match(inp(requests))
    assert pairs_of(res) == {frozenset({"x2", "d"})}
    assert code_of(res, "x1") == "member_already_paired"


ROLE_TABLE = [
    ("swap", "swap", "swap"),
    ("swap", "candidate", "one-way"),
    ("swap", "interviewer", "one-way"),
    ("candidate", "interviewer", "one-way"),
    ("candidate", "candidate", None),
    ("interviewer", "interviewer", None),
]


@pytest.mark.parametrize(("role_a", "role_b", "mode"), ROLE_TABLE)
def test_role_compatibility_table(role_a: str, role_b: str, mode: str | None) -> None:
    for first, second in ((role_a, role_b), (role_b, role_a)):
        res = match(inp([req("a", role=first, level=2), req("b", role=second, level=2)]))
        if mode is None:
            assert res.pairs == ()
            assert code_of(res, "a") == "roles_do_not_fit"
            continue
        (pair,) = res.pairs
        assert pair.mode == mode
        if mode == "one-way":
            roles = {"m-a": first, "m-b": second}
            assert roles[pair.interviewer_first] in ("interviewer", "swap")
            assert roles[pair.candidate_first] in ("candidate", "swap")
            assert roles[pair.interviewer_first] != roles[pair.candidate_first]


@pytest.mark.parametrize(
    ("interviewer_level", "candidate_level", "allowed"),
    [(3, 0, True), (2, 2, True), (1, 2, True), (0, 2, False), (1, 3, False)],
)
def test_one_way_interviewer_is_at_most_one_level_below(
    interviewer_level: int, candidate_level: int, allowed: bool
) -> None:
    requests = [
        req("i", role="interviewer", level=interviewer_level),
        req("c", role="candidate", level=candidate_level),
    ]
    res = match(inp(requests))
    assert bool(res.pairs) is allowed
    if not allowed:
        assert code_of(res, "c") == "levels_do_not_fit"
    # Swap sessions have no level rule.
    assert match(inp([req("a", level=0), req("b", level=3)])).pairs


def test_common_language_is_required_unless_switched_off() -> None:
    a = req("a", languages=frozenset({"pt"}))
    b = req("b", languages=frozenset({"en", "de"}))
    res = match(inp([a, b]))
    assert code_of(res, "a") == "no_common_language"
    assert match(inp([a, b], require_common_language=False)).pairs
    # No language given means anyone.
    assert match(inp([a, req("c", languages=frozenset())])).pairs


# ------------------------------------------------------------- soft preferences


def test_repeat_pair_loses_to_a_fresh_one() -> None:
    requests = [req(x) for x in "abcd"]
    history = {
        pair_key("m-a", "m-b"): NOW - timedelta(days=2),
        pair_key("m-c", "m-d"): NOW - timedelta(days=2),
    }
    res = match(inp(requests, history=history))
    assert frozenset({"a", "b"}) not in pairs_of(res)
    assert frozenset({"c", "d"}) not in pairs_of(res)


def test_repeat_penalty_decays_with_a_half_life() -> None:
    w = Weights()
    assert repeat_points(w, 0) == w.repeat_penalty
    assert repeat_points(w, w.repeat_half_life_days) == w.repeat_penalty // 2
    values = [repeat_points(w, d) for d in (1, 7, 14, 30, 90, 365)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == 0


def test_recent_repeat_loses_to_an_old_repeat() -> None:
    # x must pair with y or z; x met y yesterday and z long ago: z wins.
    requests = [
        req("x", start_times=(at(18), at(20))),
        req("y", start_times=(at(18),)),
        req("z", start_times=(at(20),)),
    ]
    history = {
        pair_key("m-x", "m-y"): NOW - timedelta(days=1),
        pair_key("m-x", "m-z"): NOW - timedelta(days=60),
    }
    res = match(inp(requests, history=history))
    assert pairs_of(res) == {frozenset({"x", "z"})}
    (pair,) = res.pairs
    assert "met 2 months ago (repeat penalty)" in pair.reasons


def test_left_out_priority_wins() -> None:
    requests = [req("a"), req("b"), req("c", times_left_out=2)]
    res = match(inp(requests))
    assert "c" in {r for p in res.pairs for r in p.request_ids}
    assert {u.request_id for u in res.unmatched} <= {"a", "b"}


def test_wait_priority_wins() -> None:
    requests = [req("a"), req("b"), req("c", created_at=NOW - timedelta(days=5))]
    res = match(inp(requests))
    assert "c" in {r for p in res.pairs for r in p.request_ids}
    (pair,) = res.pairs
    assert dict(zip(pair.request_ids, pair.waited_days, strict=True))["c"] == 5


def test_same_track_beats_neighbour_beats_other() -> None:
    near = {"backend": frozenset({"sre"})}
    res = match(inp([req("a"), req("b", track="sre"), req("c")], neighbour_tracks=near))
    assert pairs_of(res) == {frozenset({"a", "c"})}
    assert "same track (backend)" in res.pairs[0].reasons
    res = match(
        inp([req("a"), req("b", track="sre"), req("c", track="mobile")], neighbour_tracks=near)
    )
    assert pairs_of(res) == {frozenset({"a", "b"})}
    assert "neighbouring tracks (backend and sre)" in res.pairs[0].reasons


def test_close_levels_preferred() -> None:
    res = match(inp([req("a", level=1), req("b", level=3), req("c", level=2)]))
    (pair,) = res.pairs
    assert set(pair.request_ids) in ({"a", "c"}, {"b", "c"})
    assert "levels one apart" in pair.reasons


def test_earlier_common_day_preferred() -> None:
    a = req("a", start_times=(at(10), at(100)))
    b = req("b", start_times=(at(10),))
    c = req("c", start_times=(at(100),))
    res = match(inp([a, b, c]))
    assert pairs_of(res) == {frozenset({"a", "b"})}


def test_reliable_members_pair_together() -> None:
    requests = [req("a"), req("b"), req("c", reliability=0.3), req("d", reliability=0.3)]
    res = match(inp(requests))
    assert pairs_of(res) == {frozenset({"a", "b"}), frozenset({"c", "d"})}


def test_member_who_interviewed_more_gets_candidate_priority() -> None:
    # One interviewer-only member, two candidates: the one who gave more interviews wins.
    requests = [
        req("i", role="interviewer", level=3),
        req("c1", role="candidate", given_as_interviewer=0, taken_as_candidate=5),
        req("c2", role="candidate", given_as_interviewer=6, taken_as_candidate=1),
    ]
    res = match(inp(requests))
    assert pairs_of(res) == {frozenset({"i", "c2"})}
    # In a swap, the one who has interviewed more is the candidate first.
    res = match(inp([req("a", given_as_interviewer=1), req("b", given_as_interviewer=5)]))
    assert res.pairs[0].candidate_first == "m-b"
    assert res.pairs[0].interviewer_first == "m-a"


@pytest.mark.parametrize("seed", range(4))
def test_better_rated_interviewer_is_preferred_all_else_equal(seed: int) -> None:
    def round_with(r1: float, r2: float) -> set[frozenset[str]]:
        requests = [
            req("c", role="candidate"),
            req("i1", role="interviewer", interviewer_rating=r1),
            req("i2", role="interviewer", interviewer_rating=r2),
        ]
        return pairs_of(match(inp(requests, seed=seed)))

    assert round_with(0.9, 0.4) == {frozenset({"c", "i1"})}
    assert round_with(0.4, 0.9) == {frozenset({"c", "i2"})}
    # The rating counts where the member interviews: a candidate's own rating does not.
    (pair,) = match(
        inp(
            [
                req("c", role="candidate", interviewer_rating=1.0),
                req("i", role="interviewer", interviewer_rating=0.5),
            ]
        )
    ).pairs
    assert dict(pair.breakdown)["interviewer rating"] == Weights().interviewer_rating // 2
    # In a swap both interview: both ratings count.
    (pair,) = match(inp([req("a", interviewer_rating=1.0), req("b", interviewer_rating=0.5)])).pairs
    assert dict(pair.breakdown)["interviewer rating"] == Weights().interviewer_rating * 3 // 2
    assert not any("rat" in reason for reason in pair.reasons)  # never told to anyone


def test_interviewer_rating_weight_zero_changes_nothing() -> None:
    plain = [
        req("c", role="candidate"),
        req("i1", role="interviewer"),
        req("i2", role="interviewer"),
        req("s1"),
        req("s2"),
        req("s3"),
    ]
    rated = [
        replace(r, interviewer_rating=x)
        for r, x in zip(plain, (0.1, 0.2, 1.0, 0.0, 0.9, 0.6), strict=True)
    ]
    off = Weights(interviewer_rating=0)
    for seed in range(4):
        base = match(inp(plain, seed=seed, weights=off))
        with_ratings = match(inp(rated, seed=seed, weights=off))
        assert base.pairs == with_ratings.pairs and base.unmatched == with_ratings.unmatched
    # ...while with the weight on, the same ratings do change who is paired.
    assert pairs_of(match(inp(rated))) != pairs_of(match(inp(plain)))


def test_maximum_cardinality_before_weight() -> None:
    # a-b is the best single pair, but a-c plus b-d makes two pairs.
    requests = [
        req("a", start_times=(at(10), at(20))),
        req("b", start_times=(at(10), at(30))),
        req("c", start_times=(at(20),), track="mobile", level=3),
        req("d", start_times=(at(30),), track="mobile", level=3),
    ]
    res = match(inp(requests))
    assert pairs_of(res) == {frozenset({"a", "c"}), frozenset({"b", "d"})}


# ------------------------------------------------------------------ output


def test_breakdown_adds_up_and_reasons_explain() -> None:
    history = {pair_key("m-a", "m-b"): NOW - timedelta(days=21)}
    requests = [req("a", created_at=NOW - timedelta(days=2), times_left_out=1), req("b")]
    (pair,) = match(inp(requests, history=history)).pairs
    assert sum(v for _, v in pair.breakdown) == pair.weight
    assert "same track (backend)" in pair.reasons
    assert "met 3 weeks ago (repeat penalty)" in pair.reasons
    assert dict(pair.breakdown)["repeat penalty"] < 0
    assert dict(pair.breakdown)["left out before"] > 0


def test_shared_reasons_say_nothing_about_one_member_and_hold_no_time() -> None:
    # Reasons are shown to both members: how long one of them waited (or how often they
    # were left out) is handed over per request, for the core to tell that member only;
    # times are datetimes for the core to show in each member's zone.
    requests = [req("a", created_at=NOW - timedelta(days=6), times_left_out=636), req("b")]
    (pair,) = match(inp(requests, next_round_at=NOW + timedelta(minutes=15))).pairs
    assert dict(zip(pair.request_ids, pair.waited_days, strict=True)) == {"a": 6, "b": 0}
    text = " ".join(pair.reasons)
    assert not any(word in text for word in ("waited", "left out", "636", "round", "UTC"))
    assert not re.search(r"\d{1,2}:\d{2}", text)


def test_unmatched_reasons_and_next_chance() -> None:
    nxt = NOW + timedelta(days=1)
    requests = [
        req("a", start_times=(at(30), at(5))),
        req("b", start_times=(at(30), at(5))),
        req("c", start_times=(at(30), at(5), at(50))),
    ]
    res = match(inp(requests, next_round_at=nxt))
    (left,) = res.unmatched
    assert left.code == "everyone_compatible_paired"
    assert left.next_chance == nxt
    assert left.next_slot is not None and left.next_slot >= nxt
    # The time is data, not text: the core shows it in the member's zone.
    assert "UTC" not in left.text and not re.search(r"\d{1,2}:\d{2}", left.text)
    assert left.text == "Everybody compatible is already paired this round."


def test_everything_is_aware_utc() -> None:
    (pair,) = match(inp([req("a"), req("b")])).pairs
    assert pair.start.utcoffset() == timedelta(0)


def test_same_seed_same_result_and_seed_breaks_ties() -> None:
    requests = [req(f"r{i}") for i in range(12)]
    results = {seed: match(inp(requests, seed=seed)) for seed in range(6)}
    assert match(inp(requests, seed=3)) == results[3]
    assert len({frozenset(pairs_of(r)) for r in results.values()}) > 1  # ties rotate with seed
    weights = {r.total_weight for r in results.values()}
    assert len(weights) == 1


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="role"):
        req("a", role="both")
    with pytest.raises(ValueError, match="aware"):
        req("a", created_at=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="unique"):
        inp([req("a"), req("a")])
    with pytest.raises(ValueError, match="base"):
        Weights(base=100, repeat_penalty=200)


def test_str_enums_from_the_core_are_accepted() -> None:
    from enum import Enum

    class Role(str, Enum):  # noqa: UP042 - the core uses (str, Enum)
        SWAP = "swap"

    r = req("a", role=Role.SWAP)
    assert r.role == "swap" and type(r.role) is str
    assert isinstance(r, MatchRequest)


def test_pruning_keeps_hard_rules_and_cardinality() -> None:
    requests = [
        req(
            f"r{i}",
            level=i % 4,
            track=("backend", "frontend")[i % 2],
            start_times=(at(10 + i % 3), at(20)),
        )
        for i in range(40)
    ]
    full = match(inp(requests, prune_degree=None))
    pruned = match(inp(requests, prune_degree=4, exact_up_to=0))
    assert pruned.stats.kept_pairs < full.stats.kept_pairs == full.stats.compatible_pairs
    assert len(pruned.pairs) == len(full.pairs) == 20
    assert pruned.total_weight <= full.total_weight
    # Pruning is a heuristic: with very few partners kept it can cost pairs (and the
    # benchmark reports what it costs at the default); it never breaks a hard rule.
    tiny = match(inp(requests, prune_degree=1, exact_up_to=0))
    members = [m for p in tiny.pairs for m in p.member_ids]
    assert len(members) == len(set(members))


def test_a_large_pruned_type_is_solved_track_by_track() -> None:
    # 21 backend and 19 frontend requests, all compatible: each track alone leaves one
    # request unpaired; the step across tracks pairs those two, and the stats say how the
    # type was solved.
    requests = [
        req(f"r{i}", level=i % 4, track="backend" if i < 21 else "frontend") for i in range(40)
    ]
    split = match(inp(requests, prune_degree=4, exact_up_to=0, split_above=0))
    whole = match(inp(requests, prune_degree=4, exact_up_to=0))
    assert len(split.pairs) == len(whole.pairs) == 20
    assert split.stats.split_types == 1 and whole.stats.split_types == 0
    assert split.stats.max_pairs_proven and split.stats.pruned_types == 1
    track = {r.request_id: r.track for r in requests}
    across = [p for p in split.pairs if len({track[rid] for rid in p.request_ids}) == 2]
    assert len(across) == 1
    assert split.total_weight <= match(inp(requests)).total_weight


def test_pruning_keeps_partners_within_the_reliability_band() -> None:
    # Twenty reliable members and two flaky ones, all compatible: by pair score every flaky
    # member's best partners are reliable ones (the reliability term), yet the optimum pairs
    # the two flaky members together. The band partners keep that edge through pruning.
    from bot.matching import edges, engine, graph

    requests = [req(f"r{i:02d}") for i in range(20)]
    requests += [req("flaky-a", reliability=0.5), req("flaky-b", reliability=0.55)]
    task = engine.split_round(inp(requests, prune_degree=1, exact_up_to=0)).tasks[0]
    rnd = engine._Round(
        task.inp,
        graph.Prepared(task.inp.requests, task.usable_starts(), task.priority, task.now_minute),
    )
    bucket = rnd.bucket("coding", range(len(requests)))
    flaky = (20, 21)

    def kept(band_partners: int) -> set[tuple[int, int]]:
        e = edges.bucket_edges(bucket, 1, jitter=False, band_partners=band_partners)
        assert not e.full
        return set(zip(e.u.tolist(), e.v.tolist(), strict=True))

    assert flaky in kept(1)
    # ... although neither flaky request ranks the other first by pair score.
    ranked = graph.score_block(bucket, np.asarray(flaky, dtype=np.int64)).pair
    assert all(ranked[k, 20 + (1 - k)] < ranked[k, :20].max() for k in range(2))


def test_stats_say_whether_the_most_pairs_are_proven() -> None:
    # Solved on the full graph: the count is the maximum by construction.
    everyone = [req(f"s{i:02d}") for i in range(12)]
    exact = match(inp(everyone))
    assert (
        exact.stats.max_pairs_proven
        and exact.stats.exact_types == 1
        and exact.stats.pruned_types == 0
    )
    # Pruned, everyone paired: proven (no component can hold more pairs).
    pruned = match(inp(everyone, prune_degree=1, band_partners=0, exact_up_to=0))
    assert (
        len(pruned.pairs) == 6 and pruned.stats.pruned_types == 1 and pruned.stats.max_pairs_proven
    )
    # Pruned, one interviewer and many candidates: one pair, and nine candidates left with a
    # compatible partner in the same component; the count is in fact the maximum, but the
    # pruned graph cannot prove it, and the stats say so rather than claim it.
    star = [req("boss", role="interviewer", level=3)] + [
        req(f"c{i:02d}", role="candidate", level=1) for i in range(10)
    ]
    res = match(inp(star, prune_degree=1, band_partners=0, exact_up_to=0))
    assert len(res.pairs) == 1 and not res.stats.max_pairs_proven
    assert match(inp(star)).stats.max_pairs_proven  # the full graph proves it


def test_the_better_rated_interviewer_is_chosen_for_the_candidate() -> None:
    """Two possible interviewers for one candidate: the better rated one interviews them,
    whichever is listed first and for every seed."""
    for seed in range(6):
        for good, weak in (("i1", "i2"), ("i2", "i1")):
            requests = [
                req("c", role="candidate", candidate_need=0.8),
                req(good, role="interviewer", interviewer_rating=0.9),
                req(weak, role="interviewer", interviewer_rating=0.3),
            ]
            assert pairs_of(match(inp(requests, seed=seed))) == {frozenset({"c", good})}


def test_good_interviewers_go_to_the_candidates_who_need_them_most() -> None:
    """Two interviewers, two candidates, everything else equal: the better rated interviewer
    is paired with the candidate who needs a good interviewer most (few sessions, weak
    verdicts). The separate rating term alone cannot tell the two matchings apart."""
    for seed in range(8):
        for needy, settled in (("c1", "c2"), ("c2", "c1")):
            requests = [
                req("good", role="interviewer", interviewer_rating=1.0),
                req("fair", role="interviewer", interviewer_rating=0.4),
                req(needy, role="candidate", candidate_need=1.0),
                req(settled, role="candidate", candidate_need=0.1),
            ]
            res = match(inp(requests, seed=seed))
            assert pairs_of(res) == {frozenset({"good", needy}), frozenset({"fair", settled})}
            pair = next(p for p in res.pairs if "good" in p.request_ids)
            assert dict(pair.breakdown)["mentoring"] == Weights().mentoring
            assert not any("ment" in r or "need" in r for r in pair.reasons)
    # With the mentoring weight off, the choice is left to the tie-break: both matchings occur.
    off = Weights(mentoring=0, tie_break_jitter=True)
    seen = set()
    for seed in range(16):
        requests = [
            req("good", role="interviewer", interviewer_rating=1.0),
            req("fair", role="interviewer", interviewer_rating=0.4),
            req("c1", role="candidate", candidate_need=1.0),
            req("c2", role="candidate", candidate_need=0.1),
        ]
        res = match(inp(requests, seed=seed, weights=off))
        seen.add(frozenset(p.request_ids for p in res.pairs if "good" in p.request_ids))
    assert len(seen) == 2
