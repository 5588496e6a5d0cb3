"""The bundled question bank: every file loads, every reference resolves, every text fits."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot.core.bank import VERDICTS, Prompt
from bot.core.errors import NotFound
from bot.core.vocab import InterviewType, Level
from bot.prompts import PromptBank, check_bank_file, load_bundled, load_pack
from bot.prompts.render import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    PAGE_LIMIT,
    SLACK_SECTION_LIMIT,
    STATEMENT_LIMIT,
    paginate,
    render_guide,
    render_rubric,
    render_statement,
)

DATA = resources.files("bot.prompts").joinpath("data")
PROMPT_FILES = sorted(
    (entry for entry in DATA.joinpath("prompts").iterdir() if entry.name.endswith(".yaml")),
    key=lambda entry: entry.name,
)
FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(entry: object) -> dict[str, list[dict[str, str]]]:
    data = yaml.load(Path(str(entry)).read_text("utf-8"), Loader=FAST)
    assert isinstance(data, dict)
    return data


EXAMPLES = Path(str(resources.files("bot.prompts").joinpath("examples")))

DIMENSIONS = {
    "coding": [
        "understanding",
        "approach",
        "correctness",
        "code-quality",
        "testing",
        "communication",
    ],
    "system-design": [
        "requirements",
        "high-level-design",
        "deep-dive",
        "scalability",
        "trade-offs",
        "communication",
    ],
    "behavioral": [
        "ownership",
        "impact",
        "collaboration",
        "conflict-and-feedback",
        "self-reflection",
        "communication",
    ],
    "ml-system-design": [
        "problem-framing",
        "data-and-features",
        "modelling",
        "evaluation",
        "serving-and-monitoring",
        "communication",
    ],
    "ml-fundamentals": [
        "core-concepts",
        "math-intuition",
        "model-selection",
        "diagnostics",
        "practical-judgement",
        "communication",
    ],
    "stats-product": [
        "metric-design",
        "experiment-design",
        "statistical-reasoning",
        "product-intuition",
        "communication",
    ],
    "sql-data-modelling": [
        "data-modelling",
        "query-correctness",
        "query-fluency",
        "performance",
        "edge-cases",
        "communication",
    ],
    "sre-troubleshooting": [
        "triage",
        "hypothesis-driven-debugging",
        "systems-knowledge",
        "mitigation",
        "prevention",
        "communication",
    ],
}
#: Bundled rubrics beyond the one per type: (interview type, dimensions).
EXTRA_RUBRICS = {
    "behavioral-bar-raiser": (
        "behavioral",
        [
            "ownership",
            "impact",
            "conflict-and-feedback",
            "self-reflection",
            "holds-up-under-design",
            "communication",
        ],
    ),
    "sql-modelling-round": (
        "sql-data-modelling",
        [
            "model-behind-the-query",
            "data-modelling",
            "query-correctness",
            "edge-cases",
            "communication",
        ],
    ),
}


@pytest.fixture(scope="module")
def bank() -> PromptBank:
    return load_bundled()


def all_prompts(bank: PromptBank) -> list[Prompt]:
    return [bank.get(pid) for pid in bank.prompt_ids()]


# ---------------------------------------------------------------- files and references


def test_rubrics_file_has_one_rubric_per_type_with_the_fixed_dimensions() -> None:
    raw = read_yaml(DATA.joinpath("rubrics.yaml"))["rubrics"]
    assert sorted(r["id"] for r in raw) == sorted(
        [*(t.value for t in InterviewType), *EXTRA_RUBRICS]
    )
    for rubric in raw:
        if rubric["id"] in EXTRA_RUBRICS:
            kind, dims = EXTRA_RUBRICS[rubric["id"]]
            assert rubric["interview_type"] == kind
            assert [d["id"] for d in rubric["dimensions"]] == dims
        else:
            assert rubric["id"] == rubric["interview_type"]
            assert [d["id"] for d in rubric["dimensions"]] == DIMENSIONS[rubric["id"]]
        assert sorted(rubric["verdict_guidance"]) == sorted(VERDICTS)


@pytest.mark.parametrize("entry", PROMPT_FILES, ids=lambda e: e.name)
def test_each_prompt_file_checks_clean(entry: object) -> None:
    path = Path(str(entry))
    assert [str(e) for e in check_bank_file(path)] == []


def test_bundled_bank_loads(bank: PromptBank) -> None:
    assert len(bank.rubrics()) == len(InterviewType) + len(EXTRA_RUBRICS)
    for kind in InterviewType:
        assert bank.rubric_for_type(kind).id == kind.value


def test_ids_are_unique_across_files() -> None:
    ids: Counter[str] = Counter()
    for entry in PROMPT_FILES:
        for prompt in read_yaml(entry).get("prompts") or []:
            ids[prompt["id"]] += 1
    assert [pid for pid, n in ids.items() if n > 1] == []


def test_every_reference_resolves(bank: PromptBank) -> None:
    for prompt in all_prompts(bank):
        rubric = bank.rubric(prompt.rubric)
        assert rubric.interview_type is prompt.type, prompt.id
        dims = {d.id for d in rubric.dimensions}
        assert set(prompt.guide.exercises) <= dims, prompt.id
        assert len(set(prompt.guide.exercises)) == len(prompt.guide.exercises), prompt.id


def test_each_file_holds_its_own_type() -> None:
    for entry in PROMPT_FILES:
        kind = entry.name.removesuffix(".yaml")
        for prompt in read_yaml(entry).get("prompts") or []:
            assert prompt["type"] == kind, (entry.name, prompt["id"])


# ---------------------------------------------------------------- coverage


def test_coverage_per_type_and_level(bank: PromptBank) -> None:
    """Each type has at least 16 prompts (160 in all), and each level at least 3 per type."""
    problems = []
    for kind in InterviewType:
        count = len(bank.prompts(type=kind))
        if count < 16:
            problems.append(f"{kind.value}: {count} prompts, need 16")
        for level in Level:
            at_level = len(bank.prompts(type=kind, level=level))
            if at_level < 3:
                problems.append(f"{kind.value}/{level.value}: {at_level} prompts, need 3")
    total = len(bank.prompts())
    if total < 160:
        problems.append(f"{total} prompts in all, need 160")
    assert problems == []


# ---------------------------------------------------------------- platform limits


def test_every_text_fits_the_platform_limits(bank: PromptBank) -> None:
    for prompt in all_prompts(bank):
        assert len(prompt.title) <= HEADER_LIMIT, prompt.id
        assert len(prompt.statement) <= STATEMENT_LIMIT, prompt.id
        assert len(render_statement(prompt)) <= PAGE_LIMIT, prompt.id
        guide = prompt.guide
        items = [
            *guide.hints,
            *guide.strong_answer,
            *guide.common_mistakes,
            *guide.level_differences.values(),
        ]
        items += [text for c in guide.clarifications for text in (c.question, c.answer)]
        items += [text for follow in guide.follow_ups.values() for text in follow]
        items += [block.activity for block in guide.time_plan]
        if prompt.coding:
            items += prompt.coding.test_cases + [a.description for a in prompt.coding.approaches]
        if prompt.behavioral:
            items += prompt.behavioral.probes + prompt.behavioral.star_probes
        if prompt.design:
            items += prompt.design.scale + prompt.design.deep_dives
        assert max(len(item) for item in items) <= FIELD_LIMIT, prompt.id
        rubric = bank.rubric(prompt.rubric)
        for limit in (PAGE_LIMIT, SLACK_SECTION_LIMIT):
            pages = render_guide(
                prompt, rubric, "Chosen for a senior backend candidate.", max_chars=limit
            )
            assert pages and all(0 < len(page) <= limit for page in pages), prompt.id
        for level in prompt.levels:
            assert all(len(p) <= PAGE_LIMIT for p in render_guide(prompt, rubric, level=level))


def test_rubrics_render_within_limits(bank: PromptBank) -> None:
    for rubric in bank.rubrics():
        for dim in rubric.dimensions:
            assert len(dim.name) <= HEADER_LIMIT
            texts = [dim.description, *dim.anchors.values(), *dim.expectations.values()]
            assert max(len(t) for t in texts) <= FIELD_LIMIT
        for level in (None, *Level):
            pages = render_rubric(rubric, level)
            assert all(len(page) <= PAGE_LIMIT for page in pages)
            text = "\n".join(pages)
            assert all(dim.name in text for dim in rubric.dimensions)


def test_guide_holds_everything_an_interviewer_needs(bank: PromptBank) -> None:
    prompt = all_prompts(bank)[0]
    rubric = bank.rubric(prompt.rubric)
    text = "\n".join(render_guide(prompt, rubric, "Because."))
    for piece in [
        prompt.title,
        "Because.",
        *prompt.guide.hints,
        prompt.guide.clarifications[0].answer,
        prompt.guide.common_mistakes[0],
    ]:
        assert piece in text


def test_paginate_splits_long_entries_and_keeps_every_word() -> None:
    entries = [("lorem ipsum " * 60).strip(), "x" * 450, "short"]
    pages = paginate("Intro", [("Section", entries)], max_chars=300)
    assert all(len(page) <= 300 for page in pages)
    joined = " ".join(pages)
    assert joined.count("lorem") == 60 and "short" in joined and "(continued)" in joined
    with pytest.raises(ValueError):
        paginate("x", [], max_chars=10)


# ---------------------------------------------------------------- queries


def test_queries(bank: PromptBank) -> None:
    some = all_prompts(bank)[0]
    assert bank.get(some.id) == some
    with pytest.raises(NotFound):
        bank.get("no-such-prompt")
    with pytest.raises(NotFound):
        bank.rubric("no-such-rubric")
    level = some.levels[0]
    track = some.tracks[0]
    found = bank.prompts(type=some.type, level=level, track=track)
    assert some in found
    assert all(p.type is some.type and level in p.levels for p in found)
    assert bank.prompts(type=some.type.value) == bank.prompts(type=some.type)
    anything = bank.prompts(track="a-track-nobody-uses")
    assert all("any" in p.tracks for p in anything)
    assert set(bank.types()) == {p.type for p in all_prompts(bank)}


# ---------------------------------------------------------------- example packs


@pytest.mark.parametrize("name", ["pack.yaml", "pack.toml"])
def test_example_packs_load_against_the_bundled_bank(name: str, bank: PromptBank) -> None:
    pack = load_pack(EXAMPLES / name, bank=bank)
    combined = bank.with_pack(pack)
    for prompt in pack.prompts:
        assert combined.get(prompt.id) == prompt
        pages = render_guide(prompt, combined.rubric(prompt.rubric))
        assert all(len(page) <= PAGE_LIMIT for page in pages)


def test_bundled_bank_loads_from_a_zipped_package(tmp_path: Path) -> None:
    """importlib.resources only: the bank works from an installed (even zipped) package."""
    import subprocess
    import sys
    import zipfile

    root = Path(str(resources.files("bot"))).parent
    archive = tmp_path / "peerloop.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in (root / "bot").rglob("*"):
            if file.is_file() and "__pycache__" not in file.parts:
                zf.write(file, file.relative_to(root).as_posix())
    code = (
        "import bot.prompts.bundled as m; assert '.zip' in m.__file__; "
        "print(len(m.load_bundled().prompt_ids()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(archive)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(load_bundled().prompt_ids())
