"""Parsing and checking a bank or pack document: the text read (YAML or TOML, at most
:data:`MAX_PACK_BYTES`), then every rubric and prompt validated against the bank's schema
(:mod:`bot.core.bank`) with every problem collected, none raised."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.bank import (
    EXTRA_SECTIONS,
    Prompt,
    Rubric,
    Slug,
    Title,
    prompt_problems,
    rubric_problems,
)
from bot.core.errors import InvalidInput
from bot.core.vocab import InterviewType, Level
from bot.prompts.locators import format_path, toml_locator, yaml_compose_and_load, yaml_locator
from bot.prompts.problems import Format, Loc, PackError
from bot.prompts.render import limit_problems

#: A pack larger than this is refused before it is parsed.
MAX_PACK_BYTES = 1_000_000


class PackHeader(BaseModel):
    """The ``pack`` table of a community pack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    name: Title
    disabled_types: list[InterviewType] = []


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return "this field is required but missing"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling and where it is nested)"
    if kind == "string_too_long" and isinstance(value, str):
        return f"text is {len(value.strip()):,} characters; the limit is {ctx.get('max_length')}"
    if kind == "string_too_short" and isinstance(value, str):
        return (
            f"text is {len(value.strip())} characters; at least {ctx.get('min_length')} are needed"
        )
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items; it has {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"holds at most {ctx.get('max_length')} items; it has {ctx.get('actual_length')}"
    if kind == "enum":
        return f"{value!r} is not accepted; use one of: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return (
            f"{value!r} is not a valid id: use lower-case letters, digits and hyphens "
            "(e.g. 'rate-limiter-design'), 3 to 64 characters"
        )
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def _pydantic_errors(exc: ValidationError, prefix: Loc) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p != "[key]")
        out.append((prefix + loc, _message(err)))
    return out


@dataclass
class Checked:
    header: PackHeader | None = None
    rubrics: list[Rubric] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    problems: list[tuple[Loc, str]] = field(default_factory=list)


def validate_document(
    data: object,
    *,
    kind: Literal["pack", "rubrics", "prompts"],
    known_rubrics: Mapping[str, Rubric],
    taken_prompts: Mapping[str, str],
    taken_rubrics: Mapping[str, str],
    file_type: InterviewType | None = None,
) -> Checked:
    """Validate one document; ``taken_*`` map ids already in use to where they are defined."""
    out = Checked()
    problems = out.problems
    if not isinstance(data, dict):
        problems.append(
            (
                (),
                "the file must be a mapping with "
                + {"pack": "'pack' and 'prompts'", "rubrics": "'rubrics'", "prompts": "'prompts'"}[
                    kind
                ]
                + " at the top",
            )
        )
        return out
    allowed = {
        "pack": {"pack", "rubrics", "prompts"},
        "rubrics": {"rubrics"},
        "prompts": {"prompts"},
    }[kind]
    for key in data:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            problems.append(((str(key),), f"unknown top-level key; expected {expected}"))

    if kind == "pack":
        raw_header = data.get("pack")
        if raw_header is None:
            problems.append(((), "a pack needs a 'pack' table with 'id' and 'name'"))
        else:
            try:
                out.header = PackHeader.model_validate(raw_header)
            except ValidationError as exc:
                problems.extend(_pydantic_errors(exc, ("pack",)))

    raw_rubric_ids: set[str] = set()
    rubric_facts: list[_RubricFacts] = []
    prompt_facts: list[_PromptFacts] = []
    for section, model in (("rubrics", Rubric), ("prompts", Prompt)):
        if section not in allowed:
            continue
        items = data.get(section, [])
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(((section,), f"'{section}' must be a list"))
            continue
        for index, item in enumerate(items):
            if section == "rubrics" and isinstance(item, dict) and isinstance(item.get("id"), str):
                raw_rubric_ids.add(item["id"])
            try:
                parsed = model.model_validate(item)
            except ValidationError as exc:
                errors = _pydantic_errors(exc, ())
                problems.extend(((section, index, *loc), message) for loc, message in errors)
                # The checks beyond the schema still run on the fields that are valid, so a
                # fixed schema error never uncovers a problem that was there all along.
                if isinstance(item, dict):
                    bad = [loc for loc, _ in errors]
                    if section == "rubrics":
                        refused = _rubric_facts_of(index, item, bad)
                        rubric_facts.append(refused)
                        problems.extend(((section, index), m) for m in refused.own_problems)
                    else:
                        p_facts = _prompt_facts_of(index, item, bad)
                        prompt_facts.append(p_facts)
                        problems.extend(((section, index), m) for m in p_facts.own_problems)
                continue
            if isinstance(parsed, Rubric):
                out.rubrics.append(parsed)
                rubric_facts.append(_RubricFacts(index, parsed.id, parsed))
            elif isinstance(parsed, Prompt):
                out.prompts.append(parsed)
                prompt_facts.append(
                    _PromptFacts(
                        index,
                        parsed.id,
                        parsed.type,
                        parsed.rubric,
                        tuple(parsed.guide.exercises),
                        parsed,
                    )
                )
    if kind == "prompts" and not data.get("prompts"):
        problems.append((("prompts",), "the file holds no prompts"))

    # Cross-checks beyond the schema, on every item (valid fields of invalid ones too);
    # positions refer to the raw lists.
    seen_rubrics: dict[str, int] = {}
    for r_facts in sorted(rubric_facts, key=lambda f: f.index):
        if r_facts.id is None:
            continue
        loc: Loc = ("rubrics", r_facts.index, "id")
        if r_facts.id in seen_rubrics:
            problems.append(
                (
                    loc,
                    f"rubric id '{r_facts.id}' is already used by "
                    f"rubrics[{seen_rubrics[r_facts.id]}]",
                )
            )
        elif r_facts.id in taken_rubrics:
            problems.append(
                (
                    loc,
                    f"rubric id '{r_facts.id}' is already used by "
                    f"{taken_rubrics[r_facts.id]}; pick a new id",
                )
            )
        seen_rubrics.setdefault(r_facts.id, r_facts.index)
    available = {**known_rubrics, **{r.id: r for r in out.rubrics}}

    seen_prompts: dict[str, int] = {}
    for facts in sorted(prompt_facts, key=lambda f: f.index):
        base: Loc = ("prompts", facts.index)
        if facts.id is not None:
            if facts.id in seen_prompts:
                problems.append(
                    (
                        (*base, "id"),
                        f"prompt id '{facts.id}' is already used by "
                        f"prompts[{seen_prompts[facts.id]}]",
                    )
                )
            elif facts.id in taken_prompts:
                problems.append(
                    (
                        (*base, "id"),
                        f"prompt id '{facts.id}' is already used by "
                        f"{taken_prompts[facts.id]}; pick a new id",
                    )
                )
            seen_prompts.setdefault(facts.id, facts.index)
        if file_type is not None and facts.type is not None and facts.type is not file_type:
            problems.append(
                (
                    (*base, "type"),
                    f"this file holds {file_type.value} prompts; "
                    f"a {facts.type.value} prompt belongs in "
                    f"prompts/{facts.type.value}.yaml",
                )
            )
        resolved = available.get(facts.rubric) if facts.rubric is not None else None
        if facts.rubric is None:
            pass  # no rubric given, or not a valid id: reported by the schema
        elif resolved is None:
            if facts.rubric not in raw_rubric_ids:  # an invalid rubric is reported already
                kind_ = facts.type
                same_type = sorted(r.id for r in available.values() if r.interview_type is kind_)
                hint = (
                    f"; for {kind_.value} use: {', '.join(same_type)}"
                    if kind_ and same_type
                    else ""
                )
                problems.append(((*base, "rubric"), f"no rubric '{facts.rubric}'{hint}"))
        else:
            if facts.type is not None and resolved.interview_type is not facts.type:
                problems.append(
                    (
                        (*base, "rubric"),
                        f"rubric '{resolved.id}' is for "
                        f"{resolved.interview_type.value} interviews, "
                        f"but this prompt is {facts.type.value}",
                    )
                )
            dims = [d.id for d in resolved.dimensions]
            counted: set[str] = set()
            for k, dim in enumerate(facts.exercises or ()):
                where = (*base, "guide", "exercises", k)
                if dim not in dims:
                    problems.append(
                        (
                            where,
                            f"'{dim}' is not a dimension of rubric "
                            f"'{resolved.id}'; choose from: {', '.join(dims)}",
                        )
                    )
                elif dim in counted:
                    problems.append((where, f"'{dim}' is listed twice"))
                counted.add(dim)
        if facts.prompt is not None:  # limits measured on the rendered prompt
            for rel, message in limit_problems(facts.prompt):
                problems.append((base + rel, message))
    return out


@dataclass(frozen=True)
class _RubricFacts:
    """What the cross-checks need of one rubric item (None: missing or invalid)."""

    index: int
    id: str | None
    rubric: Rubric | None = None
    #: Rules across fields, applied to the valid fields of a rubric the schema refused.
    own_problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class _PromptFacts:
    """What the cross-checks need of one prompt item (None: missing or invalid)."""

    index: int
    id: str | None
    type: InterviewType | None
    rubric: str | None
    exercises: tuple[str, ...] | None
    prompt: Prompt | None = None
    own_problems: tuple[str, ...] = ()


_MISSING = object()


def _valid_field(item: Mapping[str, Any], path: Loc, bad: Sequence[Loc]) -> Any:
    """The raw value at ``path`` when the schema found nothing wrong at or under it, else _MISSING."""
    if any(loc[: len(path)] == path for loc in bad):
        return _MISSING
    value: Any = item
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _slug(value: Any) -> str | None:
    return value if isinstance(value, str) and _SLUG.fullmatch(value) else None


def enum_value(kind: type[InterviewType] | type[Level], value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return None


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _rubric_facts_of(index: int, item: Mapping[str, Any], bad: Sequence[Loc]) -> _RubricFacts:
    dims = _valid_field(item, ("dimensions",), bad)
    own: list[str] = []
    if isinstance(dims, list) and all(
        isinstance(d, Mapping) and isinstance(d.get("id"), str) for d in dims
    ):
        own = rubric_problems(d["id"] for d in dims)
    return _RubricFacts(index, _slug(_valid_field(item, ("id",), bad)), None, tuple(own))


def _prompt_facts_of(index: int, item: Mapping[str, Any], bad: Sequence[Loc]) -> _PromptFacts:
    kind = enum_value(InterviewType, _valid_field(item, ("type",), bad))
    exercises = _valid_field(item, ("guide", "exercises"), bad)
    own: list[str] = []
    levels = _valid_field(item, ("levels",), bad)
    follow_ups = _valid_field(item, ("guide", "follow_ups"), bad)
    if kind is not None and isinstance(levels, list) and isinstance(follow_ups, Mapping):
        level_list = [lv for lv in (enum_value(Level, v) for v in levels) if lv is not None]
        given = {lv for lv in (enum_value(Level, k) for k in follow_ups) if lv is not None}
        sections = {name for name in EXTRA_SECTIONS if item.get(name) is not None}
        own = prompt_problems(kind, level_list, given, sections)
    return _PromptFacts(
        index,
        _slug(_valid_field(item, ("id",), bad)),
        kind,
        _slug(_valid_field(item, ("rubric",), bad)),
        tuple(exercises)
        if isinstance(exercises, list) and all(isinstance(e, str) for e in exercises)
        else None,
        None,
        tuple(own),
    )


_TOO_DEEP = "nested too deeply: a pack is a few levels of tables and lists"


def parse_text(
    text: str, fmt: Format
) -> tuple[object, list[PackError], Callable[[Loc], int | None]]:
    if fmt == "toml":
        locate = toml_locator(text)
        try:
            return tomllib.loads(text), [], locate
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) if match else None
            return None, [PackError("", f"not valid TOML: {exc}", line)], locate
        except RecursionError:
            return None, [PackError("", _TOO_DEEP, None)], locate
    try:
        root, data = yaml_compose_and_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [PackError("", f"not valid YAML: {problem}", line)], yaml_locator(None)
    except RecursionError:
        return None, [PackError("", _TOO_DEEP, None)], yaml_locator(None)
    except (ValueError, TypeError, OverflowError):
        # PyYAML reads unquoted dates and times itself and fails on impossible ones (2026-02-30)
        return (
            None,
            [
                PackError(
                    "",
                    "not valid YAML: a value looks like a date or time that does not exist; "
                    "put it in quotes to keep it as text",
                    None,
                )
            ],
            yaml_locator(None),
        )
    return data, _yaml_duplicate_keys(root), yaml_locator(root)


def _yaml_duplicate_keys(root: yaml.Node | None) -> list[PackError]:
    """PyYAML keeps the last of two equal keys silently; a pack author wants to know."""
    found: list[PackError] = []

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(getattr(key_node, "value", ""))
                if key in seen:
                    found.append(
                        PackError(
                            format_path((*loc, key)),
                            "this key appears twice; the second one would win",
                            key_node.start_mark.line + 1,
                        )
                    )
                seen.add(key)
                walk(value_node, (*loc, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    if root is not None:
        walk(root, ())
    return found


def located_errors(
    problems: Iterable[tuple[Loc, str]], locate: Callable[[Loc], int | None], source: str | None
) -> list[PackError]:
    return [PackError(format_path(loc), message, locate(loc), source) for loc, message in problems]


def sorted_errors(errors: Iterable[PackError]) -> list[PackError]:
    indexed = list(enumerate(errors))
    indexed.sort(
        key=lambda pair: (
            pair[1].source or "",
            pair[1].line if pair[1].line is not None else 10**9,
            pair[0],
        )
    )
    return [error for _, error in indexed]


def read_source(source: str | Path, fmt: str | None) -> tuple[str, Format, str | None]:
    """Accept a path or the text itself; work out the format."""
    name: str | None = None
    if isinstance(source, Path) or (
        "\n" not in source and len(source) < 4096 and Path(source).is_file()
    ):
        path = Path(source)
        raw = path.read_bytes()
        if len(raw) > MAX_PACK_BYTES:
            raise InvalidInput(
                "pack",
                f"The file is {len(raw):,} bytes; a pack may be at most {MAX_PACK_BYTES:,} bytes.",
            )
        text = raw.decode("utf-8-sig")
        name = path.name
        if fmt is None:
            fmt = "toml" if path.suffix.lower() == ".toml" else "yaml"
    else:
        text = str(source)
        if len(text.encode()) > MAX_PACK_BYTES:
            raise InvalidInput("pack", f"A pack may be at most {MAX_PACK_BYTES:,} bytes.")
        if fmt is None:
            fmt = "toml" if re.search(r"^\s*\[pack\]\s*$", text, re.MULTILINE) else "yaml"
    fmt = fmt.lower().lstrip(".")
    if fmt == "yml":
        fmt = "yaml"
    if fmt not in ("yaml", "toml"):
        raise InvalidInput("format", f"“{fmt}” is not a pack format.", accepted="yaml, toml")
    return text, "toml" if fmt == "toml" else "yaml", name
