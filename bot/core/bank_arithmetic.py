"""The arithmetic a question pack's numbers may carry: an estimate's formula, evaluated safely
(:func:`evaluate_formula`), and a worked-numbers formula, checked before it is recomputed
(:func:`formula_problems`; ``bot.prompts.numbers_check`` evaluates it). Only numbers, names,
arithmetic and a few listed functions pass, so a formula from a community pack is safe."""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Mapping

_ARITHMETIC = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


def arithmetic(
    node: ast.expr,
    names: Mapping[str, float],
    formula: str,
    functions: Mapping[str, Callable[..., float]] | None = None,
    error: type[ValueError] = ValueError,
) -> float:
    """The value of a checked formula's syntax tree: numbers, ``names``, ``+ - * / // **`` and
    calls of ``functions`` (none by default). A division by zero raises ``error``; so does a
    node the checks should have refused."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(names[node.id])
    if isinstance(node, ast.UnaryOp):
        inner = arithmetic(node.operand, names, formula, functions, error)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and functions:
        args = (arithmetic(a, names, formula, functions, error) for a in node.args)
        return float(functions[node.func.id](*args))
    if not isinstance(node, ast.BinOp):
        raise error(f"the formula {formula!r} holds something that is not arithmetic")
    left = arithmetic(node.left, names, formula, functions, error)
    right = arithmetic(node.right, names, formula, functions, error)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if isinstance(node.op, ast.Pow):
        return float(left**right)  # floats: fast, and an OverflowError when too large
    if right == 0:
        raise error(f"the formula {formula!r} divides by zero")
    return left / right if isinstance(node.op, ast.Div) else float(left // right)


def evaluate_formula(formula: str, names: dict[str, float]) -> float:
    """The value of an arithmetic formula (numbers, names, ``+ - * / // **``, brackets).

    Nothing else is accepted, so a formula from a community pack is safe to evaluate.
    Raises ValueError naming what is wrong.
    """
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise ValueError(f"'{formula}' is not an arithmetic formula") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ARITHMETIC):
            raise ValueError(f"'{formula}' may use only numbers, names, + - * / // ** and brackets")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise ValueError(f"'{formula}' may use only numbers, names, + - * / // ** and brackets")
        if isinstance(node, ast.Name) and node.id not in names:
            raise ValueError(
                f"'{formula}' uses '{node.id}', which is neither an input nor an earlier figure"
            )
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and not (
                isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, int | float)
                and abs(node.right.value) <= 12
            )
        ):
            raise ValueError(f"'{formula}': a power needs a small constant exponent (at most 12)")

    return arithmetic(tree.body, names, formula)


#: The functions a formula may call (``bot.prompts.numbers_check`` defines them): ``z(q)`` is
#: the standard normal quantile, ``phi(x)`` its distribution function, ``ln`` the natural log.
NUMBER_FUNCTIONS: frozenset[str] = frozenset(
    {
        "abs",
        "ceil",
        "exp",
        "floor",
        "ln",
        "log2",
        "log10",
        "max",
        "min",
        "phi",
        "round",
        "sigmoid",
        "sqrt",
        "z",
    }
)
#: A worked-numbers formula's nodes: an estimate's, less floor division, plus function calls.
_FORMULA_NODES = (*(n for n in _ARITHMETIC if n is not ast.FloorDiv), ast.Call)


def formula_problems(formula: str, known: Collection[str]) -> list[str]:
    """What is wrong with a worked-numbers formula: arithmetic on numbers, names defined
    earlier (``known``) and calls of :data:`NUMBER_FUNCTIONS` only."""
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        return [f"the formula {formula!r} is not an expression ({exc.msg})"]
    except (RecursionError, MemoryError):
        return [f"the formula {formula!r} is nested too deeply"]
    problems: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _FORMULA_NODES):
            problems.append(
                f"the formula {formula!r} uses {type(node).__name__}: only numbers, names, "
                "+ - * / ** and calls of the listed functions are allowed"
            )
        elif isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            problems.append(f"the formula {formula!r} holds {node.value!r}, which is not a number")
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in NUMBER_FUNCTIONS or node.keywords or not node.args:
                problems.append(
                    f"the formula {formula!r} calls something other than "
                    f"{', '.join(sorted(NUMBER_FUNCTIONS))} (positional arguments)"
                )
        elif (
            isinstance(node, ast.Name) and node.id not in known and node.id not in NUMBER_FUNCTIONS
        ):
            problems.append(
                f"the formula {formula!r} uses '{node.id}', which is neither an input "
                "nor an earlier figure"
            )
    return problems
