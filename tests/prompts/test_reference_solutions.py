"""Every coding prompt's reference solution passes its machine-checkable cases.

The cases restate the prompt's test cases (and worked examples) as arguments and an
expected result; running them checks that every stated answer in the guide is right.
"""

from __future__ import annotations

import builtins
import copy
import math
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.bank import CodingCase, CodingExtras, Prompt, ReferenceSolution
from bot.core.services.session_text import interviewer_guide_pages
from bot.core.vocab import InterviewType
from bot.prompts import load_bundled, render_guide, render_statement

BANK = load_bundled()
CODING = BANK.prompts(type=InterviewType.CODING)


def canonical(value: Any, nested: bool) -> Any:
    """Tuples as lists; with ``nested``, every list sorted (by the repr of its canonical items)."""
    if isinstance(value, tuple | list):
        items = [canonical(v, nested) for v in value]
        return sorted(items, key=repr) if nested else items
    if isinstance(value, dict):
        return {k: canonical(v, nested) for k, v in value.items()}
    return value


def same(got: Any, want: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return (
            isinstance(got, int | float)
            and isinstance(want, int | float)
            and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
        )
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    return bool(got == want)


def matches(got: Any, case: CodingCase) -> bool:
    if case.compare == "exact":
        return same(canonical(got, False), canonical(case.expected, False))
    if case.compare == "unordered":
        if not isinstance(got, list | tuple) or not isinstance(case.expected, list):
            return False
        return same(
            sorted(canonical(got, False), key=repr),
            sorted(canonical(case.expected, False), key=repr),
        )
    return same(canonical(got, True), canonical(case.expected, True))


def entry_of(reference: ReferenceSolution) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"__name__": "reference"}
    exec(compile(reference.code, f"<reference {reference.entry}>", "exec"), namespace)
    return namespace[reference.entry]  # type: ignore[no-any-return]


def failures(prompt: Prompt) -> list[str]:
    assert prompt.coding is not None and prompt.coding.reference is not None
    found = []
    for number, case in enumerate(prompt.coding.cases or (), start=1):
        func = entry_of(prompt.coding.reference)  # fresh per case: no state carries over
        if case.raises is not None:
            error = getattr(builtins, case.raises)
            try:
                got = func(*copy.deepcopy(case.args))
            except error:
                continue
            found.append(f"case {number} {case.args!r}: expected {case.raises}, got {got!r}")
            continue
        got = func(*copy.deepcopy(case.args))
        if not matches(got, case):
            found.append(f"case {number} {case.args!r}: expected {case.expected!r}, got {got!r}")
    return found


@pytest.mark.parametrize("prompt", CODING, ids=lambda p: p.id)
def test_reference_solution_passes_every_case(prompt: Prompt) -> None:
    assert prompt.coding is not None
    assert prompt.coding.reference is not None, f"{prompt.id} has no reference solution"
    # The machine cases cover the stated test cases (a prose case may need no twin, e.g. a timing one).
    assert len(prompt.coding.cases or ()) >= len(prompt.coding.test_cases) - 2
    assert failures(prompt) == []


def test_a_wrong_expectation_is_caught() -> None:
    prompt = CODING[0]
    assert prompt.coding is not None and prompt.coding.cases
    first = prompt.coding.cases[0]
    wrong = first.model_copy(update={"expected": ["not", "the", "answer"]})
    broken = prompt.model_copy(
        update={
            "coding": prompt.coding.model_copy(update={"cases": [wrong, *prompt.coding.cases[1:]]})
        }
    )
    assert failures(broken) and failures(broken)[0].startswith("case 1 ")


def test_comparison_modes() -> None:
    def case(expected: Any, compare: str) -> CodingCase:
        return CodingCase.model_validate({"args": [], "expected": expected, "compare": compare})

    assert matches((1, 2), case([1, 2], "exact"))
    assert not matches([2, 1], case([1, 2], "exact"))
    assert matches([2, 1], case([1, 2], "unordered"))
    assert not matches([[2, 1], [3]], case([[3], [1, 2]], "unordered"))
    assert matches([[2, 1], [3]], case([[3], [1, 2]], "unordered-nested"))
    assert not matches([[1, 1], [3]], case([[3], [1]], "unordered-nested"))
    assert matches(0.1 + 0.2, case(0.3, "exact"))
    assert not matches(0.31, case(0.3, "exact"))
    assert not matches([1, 2, 2], case([1, 2], "unordered"))


def test_the_reference_is_never_shown() -> None:
    for prompt in CODING:
        assert prompt.coding is not None
        if prompt.coding.reference is None:
            continue
        code = prompt.coding.reference.code.strip().splitlines()[-1].strip()
        rubric = BANK.rubric(prompt.rubric)
        shown = [render_statement(prompt), *render_guide(prompt, rubric)]
        pages = interviewer_guide_pages(prompt, rubric, None, "", session_id="s" * 32, part=1)
        shown += [page.text for page in pages] + [f.value for p in pages for f in p.fields]
        assert not any(code in text for text in shown), prompt.id


def test_the_schema_checks_a_reference_without_running_it() -> None:
    good = "def f(x):\n    return x\n"
    assert ReferenceSolution(language="python", entry="f", code=good).entry == "f"
    with pytest.raises(ValidationError, match="not valid Python"):
        ReferenceSolution(language="python", entry="f", code="def f(x) return x  # no colon\n")
    with pytest.raises(ValidationError, match="no top-level 'g'"):
        ReferenceSolution(language="python", entry="g", code=good)
    with pytest.raises(ValidationError):
        ReferenceSolution.model_validate({"language": "ruby", "entry": "f", "code": good})
    # A pack's code is parsed, never run; pathological input is refused, not a crash.
    for hostile in [
        "x = " + "+".join(["a"] * 3900),
        "x = " + "-" * 7900 + "1",
        "(" * 3000 + ")" * 3000,
    ]:
        with pytest.raises(ValidationError):
            ReferenceSolution(language="python", entry="f", code=hostile)
    base = CODING[0].coding
    assert base is not None
    plain = base.model_dump(exclude={"cases", "reference"})
    with pytest.raises(ValidationError, match="come together"):
        CodingExtras.model_validate(
            {**plain, "reference": {"language": "python", "entry": "f", "code": good}}
        )
    with pytest.raises(ValidationError, match="come together"):
        CodingExtras.model_validate({**plain, "cases": [{"args": [1], "expected": 1}] * 3})


def test_cases_survive_an_export_as_a_pack() -> None:
    """Exports drop null fields; a case expecting None (or an exception) must read back the same."""
    with_null = [
        p for p in CODING if p.coding and any(c.expected is None for c in p.coding.cases or ())
    ]
    assert with_null
    for prompt in with_null:
        dumped = prompt.model_dump(mode="json", exclude_none=True)
        assert Prompt.model_validate(dumped) == prompt
