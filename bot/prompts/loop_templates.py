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

__all__ = [
    "LoopTemplateError",
    "check_loop_file",
    "check_loop_text",
    "is_loop_template",
    "load_loop_templates",
]


class LoopTemplateError(RuntimeError):
    """A community's loop template directory holds a file the schema refuses (each problem
    with its file, line and what is accepted)."""

    def __init__(self, errors: list[PackError]) -> None:
        self.errors = tuple(errors)
        lines = "\n".join(f"  {e}" for e in self.errors[:50])
        super().__init__(f"the loop templates have {len(self.errors)} problem(s):\n{lines}")


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


def load_loop_templates(extra_dir: Path | None = None) -> dict[str, LoopTemplate]:
    """The bundled loop templates and, with ``extra_dir``, a community's own ``*.yaml`` files
    there, checked the same way; :class:`LoopTemplateError` lists every problem of the
    community's files (an id already taken by a bundled template is one)."""
    out = dict(_bundled())
    if extra_dir is None:
        return out
    errors: list[PackError] = []
    files = sorted(extra_dir.glob("*.y*ml")) if extra_dir.is_dir() else []
    if not extra_dir.is_dir():
        errors.append(PackError("", "no such directory", None, str(extra_dir)))
    for file in files:
        template, problems = check_loop_text(file.read_text(encoding="utf-8-sig"), file.name)
        errors += problems
        if template is None:
            continue
        if template.id in out:
            errors.append(
                PackError(
                    "id", f"'{template.id}' is already a template; pick another id", None, file.name
                )
            )
            continue
        out[template.id] = template
    if errors:
        raise LoopTemplateError(errors)
    return out


@lru_cache(maxsize=1)
def _bundled() -> dict[str, LoopTemplate]:
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
