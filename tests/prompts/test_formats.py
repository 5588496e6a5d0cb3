"""The formats from real loops: behavioral prompts with a design follow-up, SRE postmortem
reviews, company-flavoured and startup-style rounds, and design estimates in machine form.

Their interviewer-only sections reach every renderer of the guide and never the candidate.
"""

from __future__ import annotations

import ast
import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from bot.core.bank import HOLDS_UP_DIMENSION, Estimates, Prompt
from bot.core.bank_arithmetic import evaluate_formula
from bot.core.dimension_names import dimension_names
from bot.core.guide_extras import interviewer_extras
from bot.core.models import Member, Platform, Session, SessionState
from bot.core.services.session_text import interviewer_guide_pages, part_started
from bot.core.vocab import InterviewType, Level
from bot.prompts import PromptBank, check_pack, load_bundled
from bot.prompts.render import render_guide, render_statement


@pytest.fixture(scope="module")
def bank() -> PromptBank:
    return load_bundled()


def _prompts(bank: PromptBank) -> list[Prompt]:
    return [bank.get(pid) for pid in bank.prompt_ids()]


def _interviewer_only(prompt: Prompt) -> list[str]:
    """Every text of the optional formats: each must reach the interviewer, never the candidate."""
    texts: list[str] = []
    if prompt.grading_focus is not None:
        f = prompt.grading_focus
        texts += [f.really_grading, *f.signals, *f.not_graded]
    if prompt.followup_design is not None:
        d = prompt.followup_design
        texts += [d.pivot, d.question, *d.probes, *d.holds_up, *d.cracks]
    if prompt.postmortem is not None:
        texts += [g.gap for g in prompt.postmortem.gaps]
        texts += [g.why_it_matters for g in prompt.postmortem.gaps]
        texts += list(prompt.postmortem.red_herrings)
    if prompt.design is not None and prompt.design.estimates is not None:
        texts += [e.formula for e in prompt.design.estimates.figures]
    return texts


# ---------------------------------------------------------------- the bundled bank uses them


def test_the_bank_holds_each_new_format(bank: PromptBank) -> None:
    prompts = _prompts(bank)
    bar_raiser = [p for p in prompts if p.followup_design is not None]
    postmortems = [p for p in prompts if p.postmortem is not None]
    company = [p for p in prompts if p.grading_focus and p.grading_focus.flavour == "company"]
    startup = [p for p in prompts if p.grading_focus and p.grading_focus.flavour == "startup"]
    assert len(bar_raiser) >= 6 and len(postmortems) >= 4
    assert len(company) >= 4 and len(startup) >= 2
    for prompt in bar_raiser:
        assert prompt.type is InterviewType.BEHAVIORAL
        rubric = bank.rubric(prompt.rubric)
        assert HOLDS_UP_DIMENSION in [d.id for d in rubric.dimensions], prompt.id
        assert HOLDS_UP_DIMENSION in prompt.guide.exercises, prompt.id
    for prompt in postmortems:
        assert prompt.type is InterviewType.SRE_TROUBLESHOOTING
        for gap in prompt.postmortem.gaps if prompt.postmortem else ():
            assert gap.where in prompt.statement, (prompt.id, gap.where)


def test_bar_raiser_rubric_shares_the_behavioral_dimensions(bank: PromptBank) -> None:
    """Same ids mean the same thing in both rubrics, so a member's progress adds up across them."""
    plain = {d.id: d for d in bank.rubric("behavioral").dimensions}
    extra = bank.rubric("behavioral-bar-raiser")
    assert extra.interview_type is InterviewType.BEHAVIORAL
    shared = [d for d in extra.dimensions if d.id in plain]
    assert len(shared) == 5
    for dim in shared:
        assert dim == plain[dim.id]
    holds = extra.dimension(HOLDS_UP_DIMENSION)
    assert holds.name == "Story holds up under the design"
    assert sorted(holds.anchors) == [1, 2, 3, 4] and set(holds.expectations) == set(Level)


def test_design_estimates_are_recomputed_from_their_inputs(bank: PromptBank) -> None:
    """Design prompts carry the figures their guides state as data (every company or startup
    round must); recompute each stated figure here with plain Python arithmetic, independently
    of the bank's own evaluator."""
    checked = 0
    with_estimates = 0
    for prompt in _prompts(bank):
        if prompt.type is not InterviewType.SYSTEM_DESIGN:
            continue
        assert prompt.design is not None
        if prompt.design.estimates is None:
            assert prompt.grading_focus is None, prompt.id
            continue
        with_estimates += 1
        names: dict[str, float] = {k: float(v) for k, v in prompt.design.estimates.inputs.items()}
        for figure in prompt.design.estimates.figures:
            tree = ast.parse(figure.formula, mode="eval")
            assert not any(
                isinstance(n, ast.Call | ast.Attribute | ast.Subscript) for n in ast.walk(tree)
            )
            value = eval(compile(tree, figure.id, "eval"), {"__builtins__": {}}, dict(names))
            names[figure.id] = value
            assert abs(figure.stated - value) <= figure.tolerance * abs(value), (
                prompt.id,
                figure.id,
                value,
            )
            checked += 1
    assert with_estimates >= 35 and checked >= 100


# ---------------------------------------------------------------- shown to the interviewer only


def _members(*ids: str) -> dict[str, Member]:
    return {
        m: Member(
            id=m, community_id="c", platform=Platform.CONSOLE, external_id=m, display_name=m.title()
        )
        for m in ids
    }


@pytest.mark.parametrize("level", [None, *Level])
def test_new_sections_reach_the_interviewer_and_never_the_candidate(
    bank: PromptBank, level: Level | None
) -> None:
    seen = 0
    for prompt in _prompts(bank):
        texts = _interviewer_only(prompt)
        if not texts:
            continue
        seen += 1
        rubric = bank.rubric(prompt.rubric)
        chat = interviewer_guide_pages(prompt, rubric, level, None, session_id="s" * 32, part=1)
        chat_text = "\n".join(f"{f.name}\n{f.value}" for page in chat for f in page.fields)
        assert all(page.ephemeral for page in chat)
        plain = " ".join(
            " ".join(render_guide(prompt, rubric, level=level, max_chars=limit))
            for limit in (4000, 3000)
        ).replace("\n", " ")
        for text in texts:
            assert text in chat_text, (prompt.id, text[:60])
            assert " ".join(text.split()) in " ".join(plain.split()), (prompt.id, text[:60])
        statement = render_statement(prompt)
        session = Session(
            id="s" * 32,
            community_id="c",
            interview_type=prompt.type,
            interviewer_id="ann",
            candidate_id="bob",
            swap=False,
            start=datetime(2026, 12, 7, 18, tzinfo=UTC),
            minutes=45,
            state=SessionState.CONFIRMED,
            prompt_ids=(prompt.id,),
        )
        posted = part_started(session, _members("ann", "bob"), 1, prompt, "ann", "bob").text
        for text in texts:
            if text in prompt.statement:  # a postmortem quotes its own words; the gap is the rest
                continue
            assert text not in statement and text not in posted, (prompt.id, text[:60])
    assert seen >= 20


def test_estimates_are_shown_with_their_arithmetic(bank: PromptBank) -> None:
    prompt = next(
        p for p in _prompts(bank) if p.design is not None and p.design.estimates is not None
    )
    assert prompt.design is not None and prompt.design.estimates is not None
    _top, extras = interviewer_extras(prompt)
    entries = dict(extras)["Estimates, recomputed by the bank's checks"]
    figure = prompt.design.estimates.figures[0]
    assert any(figure.name in e and figure.formula in e and figure.unit in e for e in entries)


# ---------------------------------------------------------------- the checker refuses bad data


def test_formula_evaluator_does_arithmetic_and_nothing_else() -> None:
    assert evaluate_formula("a * 3 / 86400", {"a": 86400}) == 3
    assert evaluate_formula("(a + b) ** 2 - -1", {"a": 1, "b": 2}) == 10
    for bad in [
        "__import__('os')",
        "a.real",
        "[1][0]",
        "a if a else 1",
        "'x' * 3",
        "2 ** a",
        "True + 1",
    ]:
        with pytest.raises(ValueError):
            evaluate_formula(bad, {"a": 2})
    with pytest.raises(ValueError, match="neither an input"):
        evaluate_formula("b * 2", {"a": 1})
    with pytest.raises(ValueError, match="divides by zero"):
        evaluate_formula("a / (a - a)", {"a": 1})


def test_a_wrong_stated_estimate_is_refused() -> None:
    good = {
        "inputs": {"daily": 8_640_000},
        "figures": [
            {
                "id": "qps",
                "name": "Average writes per second",
                "formula": "daily / 86400",
                "stated": 100,
                "unit": "writes/s",
            },
            {
                "id": "peak",
                "name": "Peak writes per second",
                "formula": "qps * 3",
                "stated": 300,
                "unit": "writes/s",
            },
        ],
    }
    assert Estimates.model_validate(good).computed() == {"qps": 100.0, "peak": 300.0}
    bad = copy.deepcopy(good)
    bad["figures"][1]["stated"] = 3000
    with pytest.raises(ValueError, match="'peak' states 3,000 writes/s, but qps \\* 3 = 300"):
        Estimates.model_validate(bad)
    bad = copy.deepcopy(good)
    bad["figures"][0]["formula"] = "peak / 3"  # a later figure is not known yet
    with pytest.raises(ValueError, match="neither an input nor an earlier figure"):
        Estimates.model_validate(bad)


def _pack_with(bank: PromptBank, source_id: str, change: Any) -> str:
    prompt = bank.get(source_id).model_dump(mode="json", exclude_none=True)
    prompt["id"] = "pk-" + source_id[:40]
    change(prompt)
    return yaml.safe_dump(
        {"pack": {"id": "formats", "name": "Formats"}, "prompts": [prompt]}, sort_keys=False
    )


def _first(bank: PromptBank, kind: InterviewType, field: str) -> str:
    return next(p.id for p in _prompts(bank) if p.type is kind and getattr(p, field) is not None)


def test_pack_problems_in_the_new_formats_are_reported_with_their_place(bank: PromptBank) -> None:
    sre = _first(bank, InterviewType.SRE_TROUBLESHOOTING, "postmortem")
    beh = _first(bank, InterviewType.BEHAVIORAL, "followup_design")

    def moved_gap(p: dict[str, Any]) -> None:
        p["postmortem"]["gaps"][0]["where"] = "words that are not in the postmortem"

    errors = check_pack(_pack_with(bank, sre, moved_gap), "yaml", bank=bank)
    assert any("is not in the statement" in e.message for e in errors), errors

    def plain_rubric(p: dict[str, Any]) -> None:
        p["rubric"] = "behavioral"

    errors = check_pack(_pack_with(bank, beh, plain_rubric), "yaml", bank=bank)
    assert [e.path for e in errors] == [f"prompts[0].guide.exercises[{_index(bank, beh)}]"], errors

    def no_holds_up(p: dict[str, Any]) -> None:
        p["guide"]["exercises"] = [e for e in p["guide"]["exercises"] if e != HOLDS_UP_DIMENSION]

    errors = check_pack(_pack_with(bank, beh, no_holds_up), "yaml", bank=bank)
    assert any("exercises 'holds-up-under-design'" in e.message for e in errors), errors

    def misplaced(p: dict[str, Any]) -> None:
        p["followup_design"] = bank.get(beh).followup_design.model_dump(mode="json")  # type: ignore[union-attr]

    coding = next(p.id for p in _prompts(bank) if p.type is InterviewType.CODING)
    errors = check_pack(_pack_with(bank, coding, misplaced), "yaml", bank=bank)
    assert any("only behavioral prompts take a 'followup_design'" in e.message for e in errors), (
        errors
    )

    def wrong_figure(p: dict[str, Any]) -> None:
        p["design"]["estimates"]["figures"][0]["stated"] *= 10

    design = next(
        p.id for p in _prompts(bank) if p.design is not None and p.design.estimates is not None
    )
    errors = check_pack(_pack_with(bank, design, wrong_figure), "yaml", bank=bank)
    assert [e.path for e in errors] == ["prompts[0].design.estimates"], errors
    assert "states" in errors[0].message and errors[0].line is not None


def _index(bank: PromptBank, prompt_id: str) -> int:
    return bank.get(prompt_id).guide.exercises.index(HOLDS_UP_DIMENSION)


def test_charts_and_digests_name_the_bar_raiser_dimension(bank: PromptBank) -> None:
    """Progress charts and digests name dimensions through every rubric a type's prompts use,
    the type's own rubric first."""
    names = dimension_names(bank, "behavioral")
    own = [d.id for d in bank.rubric("behavioral").dimensions]
    assert list(names)[: len(own)] == own
    assert names[HOLDS_UP_DIMENSION] == "Story holds up under the design"
    assert HOLDS_UP_DIMENSION not in dimension_names(bank, "coding")


def test_the_longest_texts_each_format_allows_are_never_cut_in_chat_pages(bank: PromptBank) -> None:
    """Every entry of the new sections fits one chat field, so nothing is clipped with "…"."""
    sre = bank.get(_first(bank, InterviewType.SRE_TROUBLESHOOTING, "postmortem"))
    beh = bank.get(_first(bank, InterviewType.BEHAVIORAL, "followup_design"))
    design = next(p for p in _prompts(bank) if p.grading_focus is not None and p.design is not None)
    assert (
        sre.postmortem is not None
        and beh.followup_design is not None
        and design.grading_focus is not None
    )
    where = sre.statement[:200].strip()
    long_gap = sre.postmortem.gaps[0].model_copy(
        update={"where": where, "gap": "g" * 700, "why_it_matters": "w" * 700}
    )
    sre = sre.model_copy(
        update={"postmortem": sre.postmortem.model_copy(update={"gaps": [long_gap]})}
    )
    beh = beh.model_copy(
        update={
            "followup_design": beh.followup_design.model_copy(
                update={"question": "q" * 900, "probes": ["p" * 900, "r" * 900]}
            )
        }
    )
    design = design.model_copy(
        update={
            "grading_focus": design.grading_focus.model_copy(
                update={"signals": ["s" * 900, "t" * 900], "not_graded": ["n" * 900]}
            )
        }
    )
    for prompt, texts in (
        (sre, ["g" * 700, "w" * 700, where]),
        (beh, ["q" * 900, "p" * 900]),
        (design, ["s" * 900, "n" * 900]),
    ):
        pages = interviewer_guide_pages(prompt, bank.rubric(prompt.rubric), None, None)
        text = "\n".join(f.value for page in pages for f in page.fields)
        assert all(t in text for t in texts), prompt.id
