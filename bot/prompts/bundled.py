"""The bundled bank: ``data/rubrics.yaml`` and every ``data/prompts/*.yaml``, read through
:mod:`importlib.resources` (so it works from an installed package or a zip), checked, and cached
(:func:`load_bundled`); :func:`check_bank_file` checks one data file as a writer edits it."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.bank import (
    Prompt,
    Rubric,
)
from bot.core.vocab import InterviewType
from bot.prompts.parsing import located_errors, parse_text, sorted_errors, validate_document
from bot.prompts.problems import BankError, PackError
from bot.prompts.prompt_bank import PromptBank


def _data_dir() -> Any:
    return resources.files("bot.prompts").joinpath("data")


def _bundled_files() -> tuple[tuple[str, str], list[tuple[str, str]]]:
    data = _data_dir()
    rubrics = ("rubrics.yaml", data.joinpath("rubrics.yaml").read_text(encoding="utf-8"))
    prompt_dir = data.joinpath("prompts")
    files: list[tuple[str, str]] = []
    if prompt_dir.is_dir():
        for entry in sorted(prompt_dir.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                files.append((f"prompts/{entry.name}", entry.read_text(encoding="utf-8")))
    return rubrics, files


def _file_type(name: str) -> InterviewType | None:
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:
        return InterviewType(stem)
    except ValueError:
        return None


def _load_bundled_lenient(
    skip: str | None = None,
) -> tuple[list[Rubric], list[Prompt], dict[str, str], list[PackError]]:
    """Every valid rubric and prompt of the bundled files, with the problems found on the way."""
    (rubric_name, rubric_text), prompt_files = _bundled_files()
    errors: list[PackError] = []
    data, parse_errors, locate = parse_text(rubric_text, "yaml")
    errors += [PackError(e.path, e.message, e.line, rubric_name) for e in parse_errors]
    checked = validate_document(
        data, kind="rubrics", known_rubrics={}, taken_prompts={}, taken_rubrics={}
    )
    errors += located_errors(checked.problems, locate, rubric_name)
    rubrics = checked.rubrics
    rubric_ids = {r.id for r in rubrics}
    for kind in InterviewType:
        if kind.value not in rubric_ids:
            errors.append(
                PackError("rubrics", f"no rubric with id '{kind.value}'", None, rubric_name)
            )
    known = {r.id: r for r in rubrics}
    prompts: list[Prompt] = []
    where: dict[str, str] = {}
    for name, text in prompt_files:
        if name == skip:
            continue
        data, parse_errors, locate = parse_text(text, "yaml")
        errors += [PackError(e.path, e.message, e.line, name) for e in parse_errors]
        if data is None:
            continue
        checked = validate_document(
            data,
            kind="prompts",
            known_rubrics=known,
            taken_prompts=where,
            taken_rubrics={},
            file_type=_file_type(name),
        )
        errors += located_errors(checked.problems, locate, name)
        for prompt in checked.prompts:
            if prompt.id not in where and prompt.rubric in known:
                where[prompt.id] = name
                prompts.append(prompt)
    return rubrics, prompts, where, errors


@lru_cache(maxsize=1)
def load_bundled() -> PromptBank:
    """The bundled bank. Raises :class:`BankError` listing every problem if a file is invalid."""
    rubrics, prompts, _where, errors = _load_bundled_lenient()
    if errors:
        raise BankError(sorted_errors(errors))
    return PromptBank(rubrics, prompts)


def check_bank_file(path: str | Path) -> list[PackError]:
    """Check one bank data file (``prompts: [...]`` or ``rubrics: [...]``, no ``pack`` table).

    Prompts are checked against the bundled rubrics, and their ids against every other
    bundled prompt file, so a writer can check a file before it is complete.
    """
    path = Path(path)
    name = path.name
    text = path.read_text(encoding="utf-8-sig")
    data, errors, locate = parse_text(text, "yaml" if path.suffix.lower() != ".toml" else "toml")
    errors = [PackError(e.path, e.message, e.line, name) for e in errors]
    if data is None:
        return errors
    if isinstance(data, dict) and "rubrics" in data and "prompts" not in data:
        checked = validate_document(
            data, kind="rubrics", known_rubrics={}, taken_prompts={}, taken_rubrics={}
        )
        return sorted_errors(errors + located_errors(checked.problems, locate, name))
    rubrics, _prompts, where, _bank_errors = _load_bundled_lenient(skip=f"prompts/{name}")
    checked = validate_document(
        data,
        kind="prompts",
        known_rubrics={r.id: r for r in rubrics},
        taken_prompts=where,
        taken_rubrics={},
        file_type=_file_type(name),
    )
    return sorted_errors(errors + located_errors(checked.problems, locate, name))
