"""Recompute a prompt's worked numbers and compare them with what its prose states.

A prompt may carry a ``numbers`` section (:class:`bot.core.bank.WorkedNumbers`): named inputs
(visitors per arm, a baseline rate, requests per second) and figures, each a formula over the
inputs and earlier figures with the value the prompt states and, optionally, the text that
states it. :func:`verify` evaluates every formula with plain arithmetic (no ``eval``: the
formula's syntax tree is walked, and only numbers, names, ``+ - * / **`` and a few functions
are allowed) and reports each figure that is off by more than its tolerance, and each quote
the statement and guide do not contain.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from statistics import NormalDist

from bot.core.bank import Prompt, WorkedFigure, WorkedNumbers
from bot.core.bank_arithmetic import arithmetic, formula_problems

__all__ = ["FUNCTIONS", "evaluate", "figure_values", "prompt_text", "verify"]

_NORMAL = NormalDist()


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


FUNCTIONS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "ceil": math.ceil,
    "exp": math.exp,
    "floor": math.floor,
    "ln": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "max": max,
    "min": min,
    "phi": _NORMAL.cdf,
    "round": round,
    "sigmoid": _sigmoid,
    "sqrt": math.sqrt,
    "z": _NORMAL.inv_cdf,
}


class FormulaError(ValueError):
    """A formula that cannot be evaluated (a division by zero, a log of a negative number)."""


def evaluate(formula: str, names: Mapping[str, float]) -> float:
    """The value of ``formula`` with ``names`` bound; raises :class:`FormulaError`."""
    problems = formula_problems(formula, names.keys())
    if problems:
        raise FormulaError("; ".join(problems))
    tree = ast.parse(formula, mode="eval")

    try:
        value = arithmetic(tree.body, names, formula, FUNCTIONS, FormulaError)
    except (ValueError, OverflowError, TypeError, ZeroDivisionError) as exc:
        if isinstance(exc, FormulaError):
            raise
        raise FormulaError(f"the formula {formula!r} cannot be computed ({exc})") from None
    if isinstance(value, complex) or math.isnan(value) or math.isinf(value):
        raise FormulaError(f"the formula {formula!r} has no finite real value")
    return value


def figure_values(numbers: WorkedNumbers) -> dict[str, float]:
    """Every input and every figure's recomputed value, by name."""
    values: dict[str, float] = {name: float(v) for name, v in numbers.inputs.items()}
    for figure in numbers.figures:
        values[figure.name] = evaluate(figure.formula, values)
    return values


def _close(figure: WorkedFigure, computed: float) -> bool:
    if figure.stated == 0:
        return abs(computed) <= figure.tolerance
    return abs(computed - figure.stated) <= figure.tolerance * abs(figure.stated)


def _squash(text: str) -> str:
    return " ".join(text.split())


def prompt_text(prompt: Prompt) -> str:
    """The statement and every text of the guide and the type's section, whitespace squashed."""
    parts: list[str] = [prompt.title, prompt.statement]
    guide = prompt.guide
    parts += [c.question + " " + c.answer for c in guide.clarifications]
    parts += [*guide.hints, *guide.strong_answer, *guide.common_mistakes]
    parts += [item for items in guide.follow_ups.values() for item in items]
    parts += [*guide.level_differences.values(), *(b.activity for b in guide.time_plan)]
    if prompt.design is not None:
        parts += [*prompt.design.scale, *prompt.design.deep_dives]
    if prompt.coding is not None:
        parts += [
            *prompt.coding.test_cases,
            *(e.input + " " + e.output for e in prompt.coding.examples),
        ]
    if prompt.behavioral is not None:
        parts += [*prompt.behavioral.probes, *prompt.behavioral.star_probes]
    return _squash("\n".join(parts))


def verify(prompt: Prompt) -> list[str]:
    """Every worked figure of ``prompt`` that does not match its formula or is not in the prose."""
    numbers = prompt.numbers
    if numbers is None:
        return []
    problems: list[str] = []
    text = prompt_text(prompt)
    values: dict[str, float] = {name: float(v) for name, v in numbers.inputs.items()}
    for figure in numbers.figures:
        try:
            computed = evaluate(figure.formula, values)
        except FormulaError as exc:
            problems.append(f"{prompt.id}: {figure.name}: {exc}")
            values[figure.name] = float(figure.stated)
            continue
        values[figure.name] = computed
        if not _close(figure, computed):
            problems.append(
                f"{prompt.id}: {figure.name}: states {figure.stated}, but {figure.formula} "
                f"is {computed:.6g} (tolerance {figure.tolerance * 100:g}%)"
            )
        if figure.quote is not None and _squash(figure.quote) not in text:
            problems.append(f"{prompt.id}: {figure.name}: the prose never says {figure.quote!r}")
    return problems
