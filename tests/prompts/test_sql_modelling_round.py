"""SQL prompts graded on the model behind the query: their rubric, their guides, their checks."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.bank import Prompt
from bot.core.dimension_names import dimension_names
from bot.core.progress import DimensionProgress, MemberProgress
from bot.core.services.digest import DigestService
from bot.core.services.feedback import interviewer_inputs
from bot.core.services.progress import ProgressService
from bot.core.services.session_text import interviewer_guide_pages
from bot.core.vocab import InterviewType
from bot.prompts import load_bundled
from bot.prompts.sql_check import verify

BANK = load_bundled()
ROUND = BANK.rubric("sql-modelling-round")
TYPE_RUBRIC = BANK.rubric_for_type(InterviewType.SQL_DATA_MODELLING)
GRADED_ON_THE_MODEL = [
    p for p in BANK.prompts(type=InterviewType.SQL_DATA_MODELLING) if p.rubric == ROUND.id
]


def test_the_format_rubric_grades_the_model_and_shares_the_other_dimensions() -> None:
    assert ROUND.interview_type is InterviewType.SQL_DATA_MODELLING
    assert ROUND.dimensions[0].id == "model-behind-the-query"
    # The type's own rubric stays the default for every other SQL session.
    assert TYPE_RUBRIC.id == "sql-data-modelling"
    assert "model-behind-the-query" not in {d.id for d in TYPE_RUBRIC.dimensions}
    # A shared id means the same thing in both rubrics, so progress can add the scores up.
    for dim in ROUND.dimensions[1:]:
        same = TYPE_RUBRIC.dimension(dim.id)
        assert (dim.name, dim.anchors, dim.expectations) == (
            same.name,
            same.anchors,
            same.expectations,
        )


def test_enough_prompts_across_levels_use_it() -> None:
    assert len(GRADED_ON_THE_MODEL) >= 5
    levels = {level for p in GRADED_ON_THE_MODEL for level in p.levels}
    assert {lv.value for lv in levels} == {"junior", "mid", "senior", "staff+"}


@pytest.mark.parametrize("prompt", GRADED_ON_THE_MODEL, ids=lambda p: p.id)
def test_each_guide_grades_the_model_and_its_queries_still_check(prompt: Prompt) -> None:
    assert prompt.guide.exercises[0] == "model-behind-the-query"
    assert any(
        "model behind the query" in item.lower() or "grades" in item.lower()
        for item in prompt.guide.strong_answer
    ), prompt.id
    # At least one follow-up changes the requirement so the model, not the query, is tested.
    follow_ups = [item for items in prompt.guide.follow_ups.values() for item in items]
    assert any(item.startswith("Model change") for item in follow_ups), prompt.id
    assert prompt.sql is not None and verify(prompt.sql) == []


def test_a_session_on_such_a_prompt_scores_and_shows_the_format_rubric() -> None:
    prompt = GRADED_ON_THE_MODEL[0]
    rubric = BANK.rubric_for(prompt)
    assert rubric.id == ROUND.id
    ids = [i.id for i in interviewer_inputs(rubric, None)]
    assert "score.model-behind-the-query" in ids and "score.query-fluency" not in ids
    pages = interviewer_guide_pages(prompt, rubric, prompt.levels[0], None)
    text = "\n".join(f"{f.name}\n{f.value}" for page in pages for f in page.fields)
    assert "Model behind the query" in text
    assert ROUND.dimension("model-behind-the-query").anchors[4] in text


def test_progress_and_the_digest_name_the_format_dimension() -> None:
    names = dimension_names(BANK, InterviewType.SQL_DATA_MODELLING.value)
    assert names["model-behind-the-query"] == "Model behind the query"
    assert names["query-fluency"] == "SQL fluency"  # the type's own dimensions still first
    assert list(names)[:6] == [d.id for d in TYPE_RUBRIC.dimensions]
    when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    dims = tuple(
        DimensionProgress("sql-data-modelling", dim, ((when, 2.5),), 2.5, 2.5, None)
        for dim in ("data-modelling", "model-behind-the-query")
    )
    report = MemberProgress("m1", dims, None, None, (), (), None, 1)
    progress = ProgressService(uow=None, clock=None, prompts=BANK)  # type: ignore[arg-type]
    shown = progress.dimension_names(report)
    assert shown[("sql-data-modelling", "data-modelling")] == "Data modelling"
    assert shown[("sql-data-modelling", "model-behind-the-query")] == "Model behind the query"
    digest = DigestService(uow=None, clock=None, prompts=BANK)  # type: ignore[arg-type]
    assert (
        digest._dimension_name("sql-data-modelling", "model-behind-the-query")
        == "Model behind the query"
    )
    assert digest._dimension_name("sql-data-modelling", "no-such-dimension") == "no-such-dimension"
