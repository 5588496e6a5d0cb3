"""The prompt selection policy (bot.core.prompt_selection)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.bank import Prompt, Rubric
from bot.core.errors import NotFound
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import ts
from bot.core.prompt_selection import (
    PromptChoice,
    choose_prompt,
    prompt_tiers,
    weakest_dimensions,
)
from bot.core.vocab import InterviewType, Level

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _rubric(rubric_id: str) -> Rubric:
    text = resources.files("bot.prompts").joinpath("data/rubrics.yaml").read_text("utf-8")
    for raw in yaml.safe_load(text)["rubrics"]:
        if raw["id"] == rubric_id:
            return Rubric.model_validate(raw)
    raise AssertionError(rubric_id)


SRE = _rubric("sre-troubleshooting")


def make(
    pid: str,
    *,
    levels: list[str] | None = None,
    tracks: list[str] | None = None,
    exercises: list[str] | None = None,
    type_: str = "sre-troubleshooting",
) -> Prompt:
    levels = levels or ["senior"]
    raw: dict[str, Any] = {
        "id": pid,
        "title": f"Prompt {pid}",
        "type": type_,
        "levels": levels,
        "tracks": tracks or ["backend"],
        "statement": "Something is broken in production; walk me through what you do.",
        "rubric": type_,
        "guide": {
            "clarifications": [
                {"question": "Q one?", "answer": "A one."},
                {"question": "Q two?", "answer": "A two."},
            ],
            "hints": ["h1", "h2", "h3"],
            "follow_ups": {lv: ["A follow-up."] for lv in levels},
            "strong_answer": ["s1", "s2", "s3"],
            "level_differences": {"junior": "jj", "senior": "ss", "staff+": "st"},
            "common_mistakes": ["m1", "m2"],
            "time_plan": [
                {"minutes": 15, "activity": "a1"},
                {"minutes": 15, "activity": "a2"},
                {"minutes": 15, "activity": "a3"},
            ],
            "exercises": exercises or ["triage"],
        },
    }
    return Prompt.model_validate(raw)


def pick(candidates: list[Prompt], **kwargs: Any) -> PromptChoice:
    kwargs.setdefault("level", Level.SENIOR)
    kwargs.setdefault("track", "backend")
    kwargs.setdefault("seen_by_candidate", {})
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("rubric", SRE)
    return choose_prompt(candidates, **kwargs)


def test_fits_level_and_track() -> None:
    pool = [
        make("p-mid", levels=["mid"]),
        make("p-front", tracks=["frontend"]),
        make("p-ok"),
        make("p-staff", levels=["staff+"]),
    ]
    for seed in range(20):
        choice = pick(pool, seed=seed)
        assert choice.prompt.id == "p-ok"
        assert not choice.reused and not choice.fallback
        assert choice.reason.startswith("Chosen for a senior backend candidate.")


def test_track_any_fits_every_track() -> None:
    pool = [make("p-any", tracks=["any"]), make("p-front", tracks=["frontend"])]
    choice = pick(pool, track="security")
    assert choice.prompt.id == "p-any"
    assert "Chosen for a senior security candidate." in choice.reason


def test_never_a_prompt_the_candidate_already_had() -> None:
    pool = [make(f"p-{i}") for i in range(6)]
    seen = {f"p-{i}": T0 for i in range(5)}
    for seed in range(30):
        assert pick(pool, seen_by_candidate=seen, seed=seed).prompt.id == "p-5"


def test_seen_everything_reuses_the_one_seen_longest_ago_and_says_so() -> None:
    pool = [make(f"p-{i}") for i in range(5)]
    seen = {f"p-{i}": T0 - timedelta(days=10 * i) for i in range(5)}  # p-4 is the oldest
    choice = pick(pool, seen_by_candidate=seen)
    assert choice.prompt.id == "p-4"
    assert choice.reused
    assert "already had every" in choice.reason
    assert "longest ago" in choice.reason
    # The date is a time token, shown in each reader's zone by their face.
    assert ts(T0 - timedelta(days=40), "D") in choice.reason


def test_reuse_stays_at_the_candidates_level_when_possible() -> None:
    pool = [make("p-senior"), make("p-mid", levels=["mid"])]
    seen = {"p-senior": T0, "p-mid": T0 - timedelta(days=300)}
    choice = pick(pool, seen_by_candidate=seen)
    assert choice.prompt.id == "p-senior" and choice.reused


def test_leans_to_the_weakest_dimension() -> None:
    pool = [
        make("p-triage", exercises=["triage"]),
        make("p-mitigation", exercises=["mitigation", "prevention"]),
        make("p-systems", exercises=["systems-knowledge"]),
    ]
    for seed in range(20):
        choice = pick(pool, weakest_dimensions=["mitigation", "triage"], seed=seed)
        assert choice.prompt.id == "p-mitigation"
        assert choice.targets_weakness == ("mitigation",)
        # The guide opens with it.
        assert choice.reason.startswith(
            "This prompt exercises mitigation, your candidate's weakest area in SRE troubleshooting so far. "
            "Chosen for a senior backend candidate."
        )
        assert choice.exercised == ("Mitigation", "Prevention")


def test_falls_to_the_next_weakest_dimension_when_none_exercises_the_weakest() -> None:
    pool = [make("p-triage", exercises=["triage"]), make("p-prev", exercises=["prevention"])]
    choice = pick(pool, weakest_dimensions=["communication", "prevention"])
    assert choice.prompt.id == "p-prev" and choice.targets_weakness == ("prevention",)
    assert choice.reason.startswith(
        "This prompt exercises prevention, your candidate's second-weakest area in SRE troubleshooting so far."
    )


def test_a_strong_dimension_the_prompt_also_exercises_is_not_called_weak() -> None:
    pool = [
        make("p-both", exercises=["mitigation", "triage"]),
        make("p-systems", exercises=["systems-knowledge"]),
    ]
    # Triage is the weakest, mitigation the strongest of the history.
    choice = pick(pool, weakest_dimensions=["triage", "prevention", "mitigation"])
    assert choice.prompt.id == "p-both" and choice.targets_weakness == ("triage",)
    assert "exercises triage," in choice.reason and "mitigation" not in choice.reason.split(".")[0]


def test_no_history_no_lean() -> None:
    pool = [make("p-a", exercises=["triage"]), make("p-b", exercises=["mitigation"])]
    chosen = {pick(pool, seed=s).prompt.id for s in range(40)}
    assert chosen == {"p-a", "p-b"}
    assert "weakest" not in pick(pool).reason


def test_track_fallback_prefers_a_neighbouring_track_and_says_so() -> None:
    pool = [make("p-mobile", tracks=["mobile"]), make("p-fullstack", tracks=["full-stack"])]
    for seed in range(20):
        choice = pick(pool, seed=seed)
        assert choice.prompt.id == "p-fullstack"
        assert choice.fallback
        assert "No senior backend SRE troubleshooting prompt is written yet" in choice.reason
        assert "full-stack" in choice.reason


def test_level_fallback_to_a_neighbouring_level() -> None:
    pool = [make("p-junior", levels=["junior"]), make("p-mid", levels=["mid"])]
    choice = pick(pool)
    assert choice.prompt.id == "p-mid"
    assert choice.fallback
    assert "written for mid-level" in choice.reason
    assert "senior follow-ups" in choice.reason


def test_unseen_neighbour_beats_reusing_an_exact_fit() -> None:
    pool = [make("p-exact"), make("p-staff", levels=["staff+"])]
    choice = pick(pool, seen_by_candidate={"p-exact": T0})
    assert choice.prompt.id == "p-staff"
    assert not choice.reused
    assert "Your candidate has had every senior backend" in choice.reason


def test_far_levels_only_when_nothing_nearer_exists() -> None:
    pool = [make("p-junior", levels=["junior"])]
    choice = pick(pool, level=Level.STAFF)
    assert choice.prompt.id == "p-junior" and choice.fallback


def test_prefers_a_prompt_the_interviewer_had_as_a_candidate() -> None:
    pool = [make(f"p-{i}") for i in range(8)]
    interviewer = {"p-3": T0}
    for seed in range(20):
        choice = pick(pool, interviewer_seen=interviewer, prefer_interviewer_seen=True, seed=seed)
        assert choice.prompt.id == "p-3"
        assert f"You solved this one as a candidate on {ts(T0, 'D')}" in choice.reason
    off = {pick(pool, interviewer_seen=interviewer, seed=s).prompt.id for s in range(40)}
    assert len(off) > 1


def test_the_interviewers_prompt_only_while_the_candidate_never_saw_it() -> None:
    pool = [make(f"p-{i}") for i in range(8)]
    for seed in range(20):
        # The candidate ran p-3 as an interviewer: it is out, whoever solved it.
        choice = pick(
            pool,
            interviewer_seen={"p-3": T0},
            prefer_interviewer_seen=True,
            candidate_ran={"p-3": T0 - timedelta(days=3)},
            seed=seed,
        )
        assert choice.prompt.id != "p-3" and not choice.reused
        assert "You solved this one" not in choice.reason


def test_never_a_prompt_the_candidate_ran_as_interviewer() -> None:
    pool = [make(f"p-{i}") for i in range(5)]
    ran = {f"p-{i}": T0 for i in range(4)}
    for seed in range(20):
        choice = pick(pool, candidate_ran=ran, seed=seed)
        assert choice.prompt.id == "p-4" and not choice.reused


def test_reuse_prefers_a_prompt_they_had_over_one_whose_guide_they_read() -> None:
    pool = [make("p-had"), make("p-ran")]
    choice = pick(
        pool, seen_by_candidate={"p-had": T0}, candidate_ran={"p-ran": T0 - timedelta(days=300)}
    )
    assert choice.prompt.id == "p-had" and choice.reused
    # Everything fitting was run as interviewer: the one run longest ago, and the guide says so.
    choice = pick(pool, candidate_ran={"p-had": T0, "p-ran": T0 - timedelta(days=300)})
    assert choice.prompt.id == "p-ran" and choice.reused
    assert f"they ran it as an interviewer on {ts(T0 - timedelta(days=300), 'D')}" in choice.reason


def test_weakest_dimension_outranks_the_interviewer_preference() -> None:
    pool = [make("p-weak", exercises=["prevention"]), make("p-known", exercises=["triage"])]
    choice = pick(
        pool,
        weakest_dimensions=["prevention"],
        interviewer_seen={"p-known": T0},
        prefer_interviewer_seen=True,
    )
    assert choice.prompt.id == "p-weak"


def test_exclude_skips_the_first_prompt_of_a_swap() -> None:
    pool = [make("p-a"), make("p-b")]
    for seed in range(20):
        assert pick(pool, exclude={"p-a"}, seed=seed).prompt.id == "p-b"


def test_nothing_left_raises_not_found() -> None:
    with pytest.raises(NotFound):
        pick([make("p-a")], exclude={"p-a"})
    with pytest.raises(NotFound):
        pick([])


def test_type_filter_and_mixed_types() -> None:
    mixed = [make("p-sre"), make("p-mlf", type_="ml-fundamentals", exercises=["diagnostics"])]
    with pytest.raises(ValueError):
        pick(mixed)
    choice = pick(mixed, interview_type=InterviewType.ML_FUNDAMENTALS, rubric=None)
    assert choice.prompt.id == "p-mlf"
    assert choice.exercised == ("diagnostics",)


def test_deterministic_for_a_seed_and_independent_of_order() -> None:
    pool = [make(f"p-{i}") for i in range(12)]
    first = pick(pool, seed=42).prompt.id
    for _ in range(10):
        shuffled = pool[:]
        random.shuffle(shuffled)
        assert pick(shuffled, seed=42).prompt.id == first
    assert len({pick(pool, seed=s).prompt.id for s in range(50)}) > 3


LEVELS = [lv.value for lv in Level]
TRACKS = ["backend", "frontend", "full-stack", "sre", "any"]


@st.composite
def scenario(
    draw: st.DrawFn,
) -> tuple[list[Prompt], dict[str, datetime], dict[str, datetime], Level, str, int]:
    count = draw(st.integers(min_value=1, max_value=10))
    prompts = []
    for i in range(count):
        levels = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=4, unique=True))
        tracks = draw(st.lists(st.sampled_from(TRACKS), min_size=1, max_size=2, unique=True))
        prompts.append(make(f"p-{i}", levels=levels, tracks=tracks))
    seen_ids = draw(st.lists(st.sampled_from([p.id for p in prompts]), unique=True))
    seen = {pid: T0 - timedelta(days=draw(st.integers(0, 400))) for pid in seen_ids}
    ran_ids = draw(st.lists(st.sampled_from([p.id for p in prompts]), unique=True))
    ran = {pid: T0 - timedelta(days=draw(st.integers(0, 400))) for pid in ran_ids}
    level = draw(st.sampled_from(list(Level)))
    track = draw(st.sampled_from(TRACKS[:-1]))
    return prompts, seen, ran, level, track, draw(st.integers(0, 2**32))


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_properties(
    case: tuple[list[Prompt], dict[str, datetime], dict[str, datetime], Level, str, int],
) -> None:
    prompts, seen, ran, level, track, seed = case
    choice = pick(
        prompts, seen_by_candidate=seen, candidate_ran=ran, level=level, track=track, seed=seed
    )
    near = [p for p in prompts if min(abs(lv.rank - level.rank) for lv in p.levels) <= 1]
    fitting = near or prompts
    unseen = [p for p in fitting if p.id not in seen and p.id not in ran]
    # Never a prompt the candidate saw in either role, unless they saw every fitting one;
    # then one whose guide they read only when they read every fitting one.
    assert choice.reused == (not unseen)
    if unseen:
        assert choice.prompt.id not in seen and choice.prompt.id not in ran
    else:
        assert "already" in choice.reason
        if any(p.id not in ran for p in fitting):
            assert choice.prompt.id not in ran
    # An exact fit is used whenever an unseen one exists.
    exact_unseen = [p for p in unseen if level in p.levels and p.suits_track(track)]
    if exact_unseen:
        assert choice.prompt in exact_unseen and not choice.fallback
    # Same inputs, same answer.
    again = pick(
        list(reversed(prompts)),
        seen_by_candidate=seen,
        candidate_ran=ran,
        level=level,
        track=track,
        seed=seed,
    )
    assert again.prompt.id == choice.prompt.id and again.reason == choice.reason
    # Tiers worked out once for many choices (a round's booking) change nothing.
    shared = pick(
        prompts,
        seen_by_candidate=seen,
        candidate_ran=ran,
        level=level,
        track=track,
        seed=seed,
        tiers=prompt_tiers(prompts, level, track),
    )
    assert shared == choice


def _fb(
    subject: str,
    scores: dict[str, int],
    *,
    days: int,
    kind: str = "coding",
    revealed: bool = True,
    role: str = "interviewer",
    author: str = "rater",
) -> Feedback:
    when = T0 + timedelta(days=days)
    return Feedback(
        id=f"f{days}{subject}{kind}{role}",
        session_id=f"s{days}",
        part=1,
        author_id=author,
        subject_id=subject,
        role=FeedbackRole(role),
        scores=scores,
        submitted_at=when,
        updated_at=when,
        revealed_at=when if revealed else None,
        interview_type=kind,
    )


def test_weakest_dimensions_come_from_revealed_interviewer_scores_of_the_type() -> None:
    history = [
        _fb("bob", {"approach": 1, "testing": 3, "communication": 2}, days=1),
        # Recent scores count: approach has improved over the last three sessions.
        _fb("bob", {"approach": 4, "testing": 2, "communication": 2}, days=2),
        _fb("bob", {"approach": 4, "testing": 2, "communication": 3}, days=3),
        _fb("bob", {"approach": 4, "testing": 2, "communication": 3}, days=4),
        # Ignored: hidden feedback, self-scores, another type, another member.
        _fb("bob", {"understanding": 1}, days=5, revealed=False),
        _fb("bob", {"code-quality": 1}, days=6, role="candidate", author="bob"),
        _fb("bob", {"correctness": 1}, days=7, kind="system-design"),
        _fb("alice", {"correctness": 1}, days=8),
    ]
    assert weakest_dimensions("bob", InterviewType.CODING, history) == (
        "testing",
        "communication",
        "approach",
    )
    assert weakest_dimensions("bob", InterviewType.SYSTEM_DESIGN, history) == ("correctness",)
    assert weakest_dimensions("carol", InterviewType.CODING, history) == ()
