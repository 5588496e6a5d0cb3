"""The question bank's domain model: rubrics and prompts.

These pydantic models are both the schema the bank's data files are validated
against (``bot/prompts/parsing.py``) and the objects services use. Text limits
are chosen so that every text fits one Discord embed field (1,024 characters)
or one Slack section block (3,000 characters); longer material is a list of
items that faces split into pages.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.core.bank_arithmetic import evaluate_formula, formula_problems
from bot.core.vocab import InterviewType, Level

#: Slug ids: lower-case words joined by hyphens, stable forever once published.
Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=3, max_length=64)
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
#: One item of a guide: fits a Discord embed field with room to spare.
Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=900)]
#: The candidate's statement: fits a Discord embed description and a Slack section.
Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=2800)]

VERDICTS: tuple[str, ...] = ("strong-no", "lean-no", "lean-yes", "strong-yes")
VERDICT_LABELS: dict[str, str] = {
    "strong-no": "Strong no",
    "lean-no": "Lean no",
    "lean-yes": "Lean yes",
    "strong-yes": "Strong yes",
}
ANY_TRACK = "any"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Strict):
    """One rubric dimension: what a 1, 2, 3 and 4 look like, and what each level is expected to show."""

    id: Slug
    name: Title
    description: Item
    anchors: dict[int, Item]
    expectations: dict[Level, Item]

    @field_validator("anchors")
    @classmethod
    def _four_anchors(cls, value: dict[int, str]) -> dict[int, str]:
        if sorted(value) != [1, 2, 3, 4]:
            raise ValueError("anchors must describe exactly the scores 1, 2, 3 and 4")
        return value

    @field_validator("expectations")
    @classmethod
    def _every_level(cls, value: dict[Level, str]) -> dict[Level, str]:
        missing = [lv.value for lv in Level if lv not in value]
        if missing:
            raise ValueError(f"expectations are missing for: {', '.join(missing)}")
        return value


class Rubric(_Strict):
    """The rubric of one interview type: four to six scored dimensions and what each overall
    verdict means."""

    id: Slug
    interview_type: InterviewType
    title: Title
    dimensions: Annotated[list[Dimension], Field(min_length=4, max_length=6)]
    #: What each overall verdict means at the candidate's target level.
    verdict_guidance: dict[str, Item]

    @field_validator("verdict_guidance")
    @classmethod
    def _all_verdicts(cls, value: dict[str, str]) -> dict[str, str]:
        if sorted(value) != sorted(VERDICTS):
            raise ValueError(f"verdict_guidance must cover exactly: {', '.join(VERDICTS)}")
        return value

    @model_validator(mode="after")
    def _unique_dimensions(self) -> Rubric:
        problems = rubric_problems([d.id for d in self.dimensions])
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def dimension(self, dim_id: str) -> Dimension:
        """The dimension with id ``dim_id``; ``KeyError`` if the rubric has none."""
        for dim in self.dimensions:
            if dim.id == dim_id:
                return dim
        raise KeyError(dim_id)


class Clarification(_Strict):
    """What to say when the candidate asks."""

    question: Item
    answer: Item


class TimeBlock(_Strict):
    """One block of the interview's timeline in the guide: its minutes and what happens."""

    minutes: Annotated[int, Field(ge=1, le=45)]
    activity: Item


class Guide(_Strict):
    """The interviewer guide: never shown to the candidate."""

    clarifications: Annotated[list[Clarification], Field(min_length=2, max_length=10)]
    hints: Annotated[list[Item], Field(min_length=3, max_length=3)]
    follow_ups: dict[Level, Annotated[list[Item], Field(min_length=1, max_length=5)]]
    strong_answer: Annotated[list[Item], Field(min_length=3, max_length=10)]
    level_differences: dict[Level, Item]
    common_mistakes: Annotated[list[Item], Field(min_length=2, max_length=8)]
    time_plan: Annotated[list[TimeBlock], Field(min_length=3, max_length=8)]
    #: Rubric dimension ids this prompt exercises most (1 to 3), for selection and the guide's opening.
    exercises: Annotated[list[Slug], Field(min_length=1, max_length=3)]

    @field_validator("time_plan")
    @classmethod
    def _forty_five_minutes(cls, value: list[TimeBlock]) -> list[TimeBlock]:
        total = sum(block.minutes for block in value)
        if total != 45:
            raise ValueError(f"the time plan must add up to 45 minutes, not {total}")
        return value

    @field_validator("level_differences")
    @classmethod
    def _key_levels(cls, value: dict[Level, str]) -> dict[Level, str]:
        missing = [lv.value for lv in (Level.JUNIOR, Level.SENIOR, Level.STAFF) if lv not in value]
        if missing:
            raise ValueError(f"level_differences must describe at least: {', '.join(missing)}")
        return value


class Example(_Strict):
    """A worked example of a coding prompt: input, output and why."""

    input: Item
    output: Item
    explanation: Item | None = None


class Approach(_Strict):
    """One way to solve a coding prompt, with its time and space cost."""

    name: Title
    description: Item
    time: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    space: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class CodingCase(_Strict):
    """A machine-checkable test case: the entry function's arguments and its expected result."""

    args: Annotated[list[Any], Field(max_length=8)]
    #: The return value; null (the default) also when the call must raise instead.
    expected: Any = None
    #: ``exact``; ``unordered``: the result list in any order; ``unordered-nested``: every
    #: list inside it in any order too (groups of items). Numbers compare within 1e-9.
    compare: Literal["exact", "unordered", "unordered-nested"] = "exact"
    #: The name of a built-in exception the call must raise instead (``expected`` is then null).
    raises: (
        Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z]*(Error|Exception)$")] | None
    ) = None
    note: Item | None = None

    @model_validator(mode="after")
    def _raises_or_expected(self) -> CodingCase:
        if self.raises is not None and self.expected is not None:
            raise ValueError("a case that expects an exception ('raises') has 'expected: null'")
        return self


class ReferenceSolution(_Strict):
    """A working solution the tests run against the cases: for verification, never shown."""

    language: Literal["python"]
    #: The top-level function (or class) in ``code`` that each case calls with its ``args``.
    entry: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
    code: Annotated[str, StringConstraints(min_length=20, max_length=8000)]

    @model_validator(mode="after")
    def _parses_and_defines_entry(self) -> ReferenceSolution:
        try:
            tree = ast.parse(self.code)
        except SyntaxError as exc:
            raise ValueError(
                f"the reference code is not valid Python (line {exc.lineno}: {exc.msg})"
            ) from None
        except (RecursionError, MemoryError):  # the parser's own limits, on pathological nesting
            raise ValueError("the reference code is nested too deeply to be checked") from None
        defined = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        if self.entry not in defined:
            raise ValueError(f"the reference code defines no top-level '{self.entry}' (its entry)")
        return self


class CodingExtras(_Strict):
    """What only coding prompts carry: examples, test cases, approaches, and optionally machine-
    run cases with a reference solution."""

    examples: Annotated[list[Example], Field(min_length=1, max_length=5)]
    test_cases: Annotated[list[Item], Field(min_length=3, max_length=12)]
    #: Naive first, then better ones.
    approaches: Annotated[list[Approach], Field(min_length=2, max_length=4)]
    #: The test cases in machine form, run against ``reference`` by the tests; never shown.
    cases: Annotated[list[CodingCase], Field(min_length=3, max_length=40)] | None = None
    reference: ReferenceSolution | None = None

    @model_validator(mode="after")
    def _cases_with_reference(self) -> CodingExtras:
        if (self.cases is None) != (self.reference is None):
            raise ValueError(
                "'cases' and 'reference' come together: the cases are run against "
                "the reference solution"
            )
        return self


class BehavioralExtras(_Strict):
    """What only behavioral prompts carry: follow-up probes and STAR probes."""

    probes: Annotated[list[Item], Field(min_length=1, max_length=6)]
    star_probes: Annotated[list[Item], Field(min_length=3, max_length=8)]


#: A name in an estimate's formula: an input or an earlier figure (``daily_orders``, ``write_qps``).
EstimateName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Number = StrictInt | StrictFloat


class Estimate(_Strict):
    """One back-of-the-envelope figure the guide states, with the arithmetic behind it."""

    #: The name later formulas use for this figure.
    id: EstimateName
    #: What it is, as the interviewer reads it ("Peak webhook deliveries per second").
    name: Title
    #: Arithmetic over the inputs and earlier figures: ``daily_orders * 3 / 86400``.
    formula: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    #: The figure as the guide states it (rounded); the checker recomputes the formula.
    stated: Number
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    #: How far the stated figure may be from the computed one, relative (0.1: within 10%).
    tolerance: Annotated[float, Field(gt=0, le=0.5)] = 0.1


class Estimates(_Strict):
    """A design guide's estimates in machine form: the checker recomputes every stated figure."""

    inputs: dict[EstimateName, Number]
    figures: Annotated[list[Estimate], Field(min_length=1, max_length=12)]

    @field_validator("inputs")
    @classmethod
    def _some_inputs(cls, value: dict[str, float]) -> dict[str, float]:
        if not 1 <= len(value) <= 16:
            raise ValueError("estimates need 1 to 16 inputs")
        return value

    @model_validator(mode="after")
    def _figures_add_up(self) -> Estimates:
        names: dict[str, float] = dict(self.inputs)
        problems: list[str] = []
        for figure in self.figures:
            if figure.id in names:
                problems.append(f"figure '{figure.id}' reuses a name already defined")
                continue
            try:
                computed = evaluate_formula(figure.formula, names)
            except ValueError as exc:
                problems.append(f"figure '{figure.id}': {exc}")
                continue
            names[figure.id] = computed
            if abs(figure.stated - computed) > figure.tolerance * max(abs(computed), 1e-9):
                problems.append(
                    f"figure '{figure.id}' states {figure.stated:,} {figure.unit}, but "
                    f"{figure.formula} = {computed:,.4g}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def computed(self) -> dict[str, float]:
        """Every figure's exact value, by id."""
        names: dict[str, float] = dict(self.inputs)
        for figure in self.figures:
            names[figure.id] = evaluate_formula(figure.formula, names)
        return {figure.id: names[figure.id] for figure in self.figures}


class DesignExtras(_Strict):
    """What only design prompts carry: scale questions and deep dives."""

    scale: Annotated[list[Item], Field(min_length=2, max_length=8)]
    deep_dives: Annotated[list[Item], Field(min_length=2, max_length=8)]
    #: Optional: the guide's estimates as inputs, formulas and stated figures, recomputed by the checker.
    estimates: Estimates | None = None


class DesignFollowUp(_Strict):
    """A behavioral prompt's paired design follow-up (the bar-raiser pattern): after the story,
    the interviewer turns it into a design question and checks that the story holds up.
    Interviewer only, like the rest of the guide."""

    #: When and how to turn from the story to the design.
    pivot: Item
    #: The design question, framed on the candidate's own story.
    question: Item
    #: Design probes that put weight on what the story claimed.
    probes: Annotated[list[Item], Field(min_length=2, max_length=6)]
    #: Signs the story holds up under the design.
    holds_up: Annotated[list[Item], Field(min_length=2, max_length=5)]
    #: Signs it cracks: the design contradicts the story, or the story was not theirs.
    cracks: Annotated[list[Item], Field(min_length=2, max_length=5)]


#: A gap's texts are shorter than an Item, so "Gap n (at “where”): gap" fits one chat field.
GapText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=700)]


class PostmortemGap(_Strict):
    """One gap planted in a postmortem the candidate reviews."""

    #: Words of the statement where the gap sits (checked to appear in it, verbatim).
    where: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    #: What is missing or wrong.
    gap: GapText
    #: Why it matters, and what a strong reviewer asks for or proposes.
    why_it_matters: GapText


class PostmortemReview(_Strict):
    """An SRE postmortem-review prompt: the statement is the postmortem; these are its planted gaps."""

    gaps: Annotated[list[PostmortemGap], Field(min_length=3, max_length=8)]
    #: Things that look wrong but are fine: credit a candidate who leaves them alone.
    red_herrings: Annotated[list[Item], Field(max_length=4)] = []
    #: How many gaps a candidate should find to meet the bar, per level.
    bar: dict[Level, Annotated[int, Field(ge=1, le=8)]] = {}


class GradingFocus(_Strict):
    """What a company-flavoured or startup-style round is really grading (interviewer only)."""

    #: ``company``: a round flavoured by one kind of business; ``startup``: graded on shipping speed.
    flavour: Literal["company", "startup"]
    #: The one thing this round grades, beyond the generic rubric.
    really_grading: Item
    #: What earns credit in this round.
    signals: Annotated[list[Item], Field(min_length=2, max_length=6)]
    #: What not to reward here (time sinks, polish this round does not pay for).
    not_graded: Annotated[list[Item], Field(min_length=1, max_length=4)]


#: SQL text of a verification section: scripts and queries, never shown to anyone.
SqlText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=8000)]
#: One value of an expected row: text, a number or NULL (YAML ``null``; quote dates: '2024-03-01').
SqlValue = StrictStr | StrictInt | StrictFloat | None


class SqlQueryCheck(_Strict):
    """One reference query and the rows it must return on the section's data."""

    #: What the query answers, for test reports (``part 2: keep one copy``).
    name: Title
    #: Statements run first, in order, on the same database (a load, a fix, a second run of it).
    script: SqlText | None = None
    #: The script must fail with an error containing this text: a constraint of the model at work.
    error: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
        | None
    ) = None
    #: One statement; its result is compared with ``expected``.
    reference: SqlText
    expected: list[list[SqlValue]]
    #: Compare in order (the statement asks for an order) or as a multiset of rows.
    order_matters: bool = False

    @field_validator("expected")
    @classmethod
    def _rectangular(cls, value: list[list[object]]) -> list[list[object]]:
        if len({len(row) for row in value}) > 1:
            raise ValueError("every expected row must have the same number of values")
        if any(not row for row in value):
            raise ValueError("an expected row needs at least one value")
        return value

    @model_validator(mode="after")
    def _error_needs_script(self) -> SqlQueryCheck:
        if self.error is not None and self.script is None:
            raise ValueError("'error' names how the script fails, so the check needs a 'script'")
        return self


class SqlExtras(_Strict):
    """A SQL prompt's worked answer, runnable on SQLite (3.30 or later) with the standard library.

    ``ddl`` creates the tables of the statement, ``seed`` inserts its sample rows, and each
    check runs its reference query on that database; checks run in order on one database,
    so a check's ``script`` sees what the previous checks changed.
    """

    ddl: SqlText
    seed: SqlText
    checks: Annotated[list[SqlQueryCheck], Field(min_length=1, max_length=8)]


#: A name in a worked-numbers section: an input or a figure, usable in later formulas.
NumberName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class WorkedFigure(_Strict):
    """One figure the prompt states, with the formula that recomputes it from the inputs."""

    #: A name later formulas can use (``se_diff``).
    name: NumberName
    #: Arithmetic on inputs and earlier figures: ``sqrt(2 * p * (1 - p) / n)``.
    formula: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
    #: The value as the prompt states it, in the formula's units (0.0022 for "0.22 points").
    stated: Number
    #: Relative tolerance: the stated value is rounded (absolute when ``stated`` is 0).
    tolerance: Annotated[float, Field(ge=0, le=0.25)] = 0.01
    #: The figure as written in the statement or guide (``"about 0.22 points"``): the check
    #: also makes sure the prose says it.
    quote: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None


class WorkedNumbers(_Strict):
    """A prompt's worked numbers in machine form: inputs and the figures computed from them.

    ``tests/prompts/test_worked_numbers.py`` recomputes every figure
    (:func:`bot.prompts.numbers_check.verify`); neither the candidate nor the interviewer sees
    this section, only the prose that quotes the figures.
    """

    inputs: Annotated[dict[NumberName, Number], Field(min_length=1, max_length=40)]
    figures: Annotated[list[WorkedFigure], Field(min_length=1, max_length=30)]

    @model_validator(mode="after")
    def _formulas_resolve(self) -> WorkedNumbers:
        known = set(self.inputs)
        problems: list[str] = []
        for i, figure in enumerate(self.figures):
            if figure.name in known:
                problems.append(
                    f"figures[{i}]: the name '{figure.name}' is already an input or a figure"
                )
            problems += [f"figures[{i}]: {p}" for p in formula_problems(figure.formula, known)]
            known.add(figure.name)
        if problems:
            raise ValueError("; ".join(problems))
        return self


_NEEDS_DESIGN = {InterviewType.SYSTEM_DESIGN, InterviewType.ML_SYSTEM_DESIGN}
#: A prompt's type-specific sections.
EXTRA_SECTIONS = (
    "coding",
    "behavioral",
    "design",
    "sql",
    "followup_design",
    "postmortem",
    "grading_focus",
)
#: The dimension a rubric for prompts with a design follow-up scores the follow-up on.
HOLDS_UP_DIMENSION = "holds-up-under-design"


def rubric_problems(dimension_ids: Iterable[str]) -> list[str]:
    """What a rubric's fields get wrong together (the checker also applies this to a rubric
    whose other fields are invalid, so every problem is reported at once)."""
    ids = list(dimension_ids)
    return ["dimension ids must be unique within a rubric"] if len(ids) != len(set(ids)) else []


def prompt_problems(
    kind: InterviewType,
    levels: Iterable[Level],
    follow_ups: Collection[Level],
    sections: Collection[str],
) -> list[str]:
    """What a prompt's fields get wrong together: its type's section, follow-ups for its levels
    (also applied by the checker to a prompt whose other fields are invalid)."""
    problems: list[str] = []
    if kind is InterviewType.CODING and "coding" not in sections:
        problems.append(
            "a coding prompt needs a 'coding' section (examples, test_cases, approaches)"
        )
    if kind is InterviewType.BEHAVIORAL and "behavioral" not in sections:
        problems.append("a behavioral prompt needs a 'behavioral' section (probes, star_probes)")
    if kind in _NEEDS_DESIGN and "design" not in sections:
        problems.append("a design prompt needs a 'design' section (scale, deep_dives)")
    if kind is not InterviewType.SQL_DATA_MODELLING and "sql" in sections:
        problems.append("only sql-data-modelling prompts take a 'sql' section")
    if kind is not InterviewType.BEHAVIORAL and "followup_design" in sections:
        problems.append("only behavioral prompts take a 'followup_design' section")
    if kind is not InterviewType.SRE_TROUBLESHOOTING and "postmortem" in sections:
        problems.append("only sre-troubleshooting prompts take a 'postmortem' section")
    missing = [lv.value for lv in levels if lv not in follow_ups]
    if missing:
        problems.append(
            f"guide.follow_ups needs follow-ups for the prompt's levels: {', '.join(missing)}"
        )
    return problems


class Prompt(_Strict):
    """One interview prompt: the statement the candidate sees, the guide only the interviewer
    sees, its rubric, levels, tracks and type-specific sections."""

    id: Slug
    title: Title
    type: InterviewType
    levels: Annotated[list[Level], Field(min_length=1)]
    #: Role tracks the prompt suits, or ``["any"]``.
    tracks: Annotated[list[str], Field(min_length=1)]
    duration_minutes: Annotated[int, Field(ge=15, le=90)] = 45
    statement: Statement
    rubric: Slug
    guide: Guide
    coding: CodingExtras | None = None
    behavioral: BehavioralExtras | None = None
    design: DesignExtras | None = None
    #: Optional for sql-data-modelling prompts: the reference queries and their expected rows.
    sql: SqlExtras | None = None
    #: Optional for any type: the worked figures the prose states, recomputed by the tests.
    numbers: WorkedNumbers | None = None
    #: Optional for behavioral prompts: the paired design follow-up (bar-raiser pattern).
    followup_design: DesignFollowUp | None = None
    #: Optional for sre-troubleshooting prompts: the statement is a postmortem; these are its gaps.
    postmortem: PostmortemReview | None = None
    #: Optional, any type: what a company-flavoured or startup-style round really grades.
    grading_focus: GradingFocus | None = None

    @model_validator(mode="after")
    def _extras_match_type(self) -> Prompt:
        sections = {name for name in EXTRA_SECTIONS if getattr(self, name) is not None}
        problems = prompt_problems(self.type, self.levels, self.guide.follow_ups, sections)
        if self.postmortem is not None:
            for n, gap in enumerate(self.postmortem.gaps):
                if gap.where not in self.statement:
                    problems.append(
                        f"postmortem.gaps[{n}].where: '{gap.where}' is not in the statement "
                        "(quote the postmortem's words where the gap sits)"
                    )
            extra = [lv.value for lv in self.postmortem.bar if lv not in self.levels]
            if extra:
                problems.append(
                    f"postmortem.bar names levels the prompt does not list: {', '.join(extra)}"
                )
            too_many = [
                lv.value for lv, n in self.postmortem.bar.items() if n > len(self.postmortem.gaps)
            ]
            if too_many:
                problems.append(
                    f"postmortem.bar asks for more gaps than are planted at: {', '.join(too_many)}"
                )
        if self.followup_design is not None and HOLDS_UP_DIMENSION not in self.guide.exercises:
            problems.append(
                f"a prompt with a design follow-up exercises '{HOLDS_UP_DIMENSION}' "
                "(list it in guide.exercises)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def suits_track(self, track: str) -> bool:
        """Whether the prompt suits ``track`` (or any track)."""
        return ANY_TRACK in self.tracks or track in self.tracks
