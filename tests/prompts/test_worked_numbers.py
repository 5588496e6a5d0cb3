"""Worked numbers: every figure a prompt states is recomputed from its inputs and found in its prose."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.core.bank import Prompt, WorkedNumbers
from bot.core.vocab import InterviewType
from bot.prompts import load_bundled
from bot.prompts.cli import cmd_check
from bot.prompts.numbers_check import FormulaError, evaluate, figure_values, verify

BANK = load_bundled()
WITH_NUMBERS = [p for p in BANK.prompts() if p.numbers is not None]
#: The types whose prompts most often rest on arithmetic (sample sizes, intervals, metrics from
#: a confusion matrix, gradient steps, capacity estimates), and how many of their prompts at
#: least carry their figures in machine form.
NUMERIC_TYPES = {
    InterviewType.STATS_PRODUCT: 20,
    InterviewType.ML_FUNDAMENTALS: 20,
    InterviewType.ML_SYSTEM_DESIGN: 20,
}


@pytest.mark.parametrize("prompt", WITH_NUMBERS, ids=lambda p: p.id)
def test_every_stated_figure_is_recomputed_and_quoted(prompt: Prompt) -> None:
    assert verify(prompt) == []


def test_the_numeric_types_carry_worked_numbers() -> None:
    for kind, least in NUMERIC_TYPES.items():
        carrying = [p for p in WITH_NUMBERS if p.type is kind]
        assert len(carrying) >= least, (kind.value, len(carrying))
        # Each such prompt checks more than a single figure.
        assert all(p.numbers is not None and len(p.numbers.figures) >= 2 for p in carrying), (
            kind.value
        )


# ---------------------------------------------------------------- the checker itself


def numbers(**section: object) -> WorkedNumbers:
    return WorkedNumbers.model_validate(section)


def test_normal_quantiles_and_the_usual_sample_size_come_out_right() -> None:
    assert evaluate("z(0.975)", {}) == pytest.approx(1.959964, abs=1e-6)
    assert evaluate("z(0.8)", {}) == pytest.approx(0.841621, abs=1e-6)
    assert evaluate("phi(1.959964)", {}) == pytest.approx(0.975, abs=1e-6)
    # Two proportions, 10% against 11%, alpha 5% two-sided, power 80%: about 14,748 per arm.
    values = figure_values(
        numbers(
            inputs={"p1": 0.10, "p2": 0.11},
            figures=[
                {
                    "name": "n",
                    "stated": 14750,
                    "tolerance": 0.01,
                    "formula": "(z(0.975) + z(0.8)) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2",
                }
            ],
        )
    )
    assert values["n"] == pytest.approx(14748.0, abs=1)
    assert evaluate("sigmoid(0)", {}) == 0.5
    assert (
        evaluate("ln(exp(2)) + log2(8) + log10(1000) + ceil(1.2) + floor(1.8)", {})
        == 2 + 3 + 3 + 2 + 1
    )


def prompt_with(
    section: dict[str, object], statement: str = "A test ran with 20,000 visitors per arm."
) -> Prompt:
    base = BANK.prompts(type=InterviewType.STATS_PRODUCT)[0].model_dump(
        mode="json", exclude_none=True
    )
    base.update({"id": "numbers-sample", "statement": statement, "numbers": section})
    return Prompt.model_validate(base)


def test_a_wrong_stated_figure_and_a_quote_the_prose_lacks_are_reported() -> None:
    prompt = prompt_with(
        {
            "inputs": {"n": 20000, "p": 0.05},
            "figures": [
                {
                    "name": "se",
                    "formula": "sqrt(2 * p * (1 - p) / n)",
                    "stated": 0.0022,
                    "tolerance": 0.02,
                    "quote": "20,000 visitors",
                },
                {"name": "mde", "formula": "2.8 * se", "stated": 0.0070, "tolerance": 0.02},
                {"name": "ci", "formula": "1.96 * se", "stated": 0.0043, "quote": "0.43 points"},
            ],
        }
    )
    problems = verify(prompt)
    assert len(problems) == 2
    assert "mde: states 0.007" in problems[0] and "0.00610" in problems[0]
    assert "never says '0.43 points'" in problems[1]


def test_tolerance_is_relative_and_absolute_at_zero() -> None:
    ok = prompt_with(
        {
            "inputs": {"a": 1.0},
            "figures": [
                {"name": "b", "formula": "a * 1.009", "stated": 1},
                {"name": "c", "formula": "a - 1.004", "stated": 0, "tolerance": 0.005},
            ],
        }
    )
    assert verify(ok) == []
    off = prompt_with(
        {"inputs": {"a": 1.0}, "figures": [{"name": "b", "formula": "a * 1.02", "stated": 1}]}
    )
    assert len(verify(off)) == 1


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("__import__('os').system('true')", "calls something other than"),
        ("a.real", "uses Attribute"),
        ("[a, a]", "uses List"),
        ("a if a else 1", "uses IfExp"),
        ("'text' * 2", "is not a number"),
        ("sqrt(x=a)", "calls something other than"),
        ("b + 1", "uses 'b', which is neither"),
        ("a +", "is not an expression"),
    ],
)
def test_a_formula_that_is_not_plain_arithmetic_is_refused_by_the_schema(
    formula: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        numbers(inputs={"a": 1}, figures=[{"name": "b", "formula": formula, "stated": 1}])


def test_names_are_defined_once_and_before_use() -> None:
    with pytest.raises(ValidationError, match="already an input"):
        numbers(inputs={"a": 1}, figures=[{"name": "a", "formula": "1", "stated": 1}])
    with pytest.raises(ValidationError, match="neither an input"):
        numbers(
            inputs={"a": 1},
            figures=[
                {"name": "b", "formula": "c", "stated": 1},
                {"name": "c", "formula": "a", "stated": 1},
            ],
        )


def test_formulas_that_cannot_be_computed_are_reported_not_raised() -> None:
    with pytest.raises(FormulaError, match="divides by zero"):
        evaluate("1 / (a - a)", {"a": 2})
    # Every value is a float, so a huge power overflows at once instead of computing for long.
    with pytest.raises(FormulaError, match="cannot be computed"):
        evaluate("a ** 10 ** 10", {"a": 2})
    assert evaluate("0.999 ** 1000", {}) == pytest.approx(0.3677, abs=1e-4)
    with pytest.raises(FormulaError, match="cannot be computed"):
        evaluate("sqrt(-a)", {"a": 2})
    with pytest.raises(FormulaError, match=r"cannot be computed|finite"):
        evaluate("(-a) ** 0.5", {"a": 2})
    prompt = prompt_with(
        {
            "inputs": {"a": 0},
            "figures": [
                {"name": "b", "formula": "ln(a)", "stated": 1},
                {"name": "c", "formula": "b + 1", "stated": 2},
            ],
        }
    )
    problems = verify(prompt)
    assert len(problems) == 1 and "b: the formula 'ln(a)' cannot be computed" in problems[0]
    assert math.isfinite(evaluate("z(0.5)", {}))


def test_the_checker_notes_a_pack_figure_its_formula_does_not_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = prompt_with(
        {
            "inputs": {"n": 20000, "p": 0.05},
            "figures": [
                {
                    "name": "se",
                    "formula": "sqrt(2 * p * (1 - p) / n)",
                    "stated": 0.0022,
                    "tolerance": 0.02,
                },
                {
                    "name": "mde",
                    "formula": "2.8 * se",
                    "stated": 0.007,
                    "quote": "20,000 visitors per arm",
                },
            ],
        }
    ).model_dump(mode="json", exclude_none=True)
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        yaml.safe_dump(
            {"pack": {"id": "numbers-pack", "name": "Numbers pack"}, "prompts": [item]},
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    assert cmd_check(str(pack)) == 0  # the schema accepts it: a note, not a refusal
    out = capsys.readouterr().out
    assert "note: numbers-sample: mde: states 0.007" in out
    assert "1 worked figure(s) to check" in out
    item["numbers"]["figures"][1]["stated"] = 0.0061
    pack.write_text(
        yaml.safe_dump(
            {"pack": {"id": "numbers-pack", "name": "Numbers pack"}, "prompts": [item]},
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    assert cmd_check(str(pack)) == 0
    assert "note:" not in capsys.readouterr().out
