"""Loop templates as data: every ``data/loops/*.yaml`` checked by the schema of
:mod:`bot.core.loop_models` (:func:`load_loop_templates`, cached), and one file checked as a
community writes it (:func:`check_loop_file`, used by ``peerloop prompts check``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bot.core.loop_models import LoopTemplate, template_problems
from bot.prompts.parsing import located_errors, parse_text
from bot.prompts.problems import BankError, PackError

__all__ = ["check_loop_file", "check_loop_text", "is_loop_template", "load_loop_templates"]


def _loop_dir() -> Any:
    return resources.files("bot.prompts").joinpath("data").joinpath("loops")


def is_loop_template(data: object) -> bool:
    """A loop template has ``rounds`` at the top (a prompt pack or bank file does not)."""
    return isinstance(data, dict) and "rounds" in data and "prompts" not in data


def check_loop_text(
    text: str, source: str | None = None
) -> tuple[LoopTemplate | None, list[PackError]]:
    """The template a YAML text describes, or its problems, each with its place and line."""
    data, errors, locate = parse_text(text, "yaml")
    if errors:
        return None, [PackError(e.path, e.message, e.line, source) for e in errors]
    template, problems = template_problems(data)
    if template is None:
        return None, located_errors(problems, locate, source)
    stem = Path(source).stem if source else None
    if stem is not None and stem != template.id:
        return None, [
            PackError("id", f"the id must be the file's name: {stem}", locate(("id",)), source)
        ]
    return template, []


def check_loop_file(path: str | Path) -> list[PackError]:
    """The problems of one loop template file (none: it is valid)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [PackError("", f"cannot read the file: {exc.__class__.__name__}", None, file.name)]
    return check_loop_text(text, file.name)[1]


@lru_cache(maxsize=1)
def load_loop_templates() -> dict[str, LoopTemplate]:
    """Every bundled loop template by id, checked; :class:`BankError` lists every problem."""
    out: dict[str, LoopTemplate] = {}
    errors: list[PackError] = []
    folder = _loop_dir()
    entries = sorted(folder.iterdir(), key=lambda e: e.name) if folder.is_dir() else []
    for entry in entries:
        if not (entry.name.endswith((".yaml", ".yml")) and entry.is_file()):
            continue
        template, problems = check_loop_text(
            entry.read_text(encoding="utf-8"), f"loops/{entry.name}"
        )
        errors += problems
        if template is not None:
            out[template.id] = template
    if errors:
        raise BankError(errors)
    return out
