"""Load, check and combine the question bank: the bundled data files and community packs.

The bundled bank is ``data/rubrics.yaml`` plus every ``data/prompts/*.yaml``, read through
:mod:`importlib.resources` so it works from an installed package. A *pack* is a community's
own file (YAML or TOML) with a ``pack`` table (``id``, ``name``, ``disabled_types``) and
optional ``rubrics`` and ``prompts`` lists in the bank's schema (:mod:`bot.core.bank`).

A pack is checked whole: every problem is reported with its place in the file (a path such
as ``prompts[3].guide.hints`` and, where it can be found, a line number), and a pack with
any problem is refused whole; nothing of it is applied.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
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
from bot.core.errors import InvalidInput, NotFound, PeerLoopError
from bot.core.vocab import InterviewType, Level
from bot.prompts.render import limit_problems

__all__ = [
    "BUNDLED_ORIGIN",
    "MAX_PACK_BYTES",
    "BankError",
    "Pack",
    "PackError",
    "PackRejected",
    "PromptBank",
    "check_bank_file",
    "check_pack",
    "load_bundled",
    "load_pack",
    "pack_outline",
]

Loc = tuple[str | int, ...]
Format = Literal["yaml", "toml"]

#: Where a prompt or rubric came from when it is part of the bundled bank.
BUNDLED_ORIGIN = "bundled"
#: A pack larger than this is refused before it is parsed.
MAX_PACK_BYTES = 1_000_000


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class PackError:
    """One problem in a pack or data file, with its place in the file."""

    #: Where in the document, e.g. ``prompts[3].guide.hints``; empty for the whole file.
    path: str
    message: str
    #: 1-based line number, when it can be found (always for YAML; the table's line for TOML).
    line: int | None = None
    #: The file the problem is in, when known (bundled files and packs read from disk).
    source: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.path:
            parts.append(self.path)
        return ", ".join(parts) if parts else "file"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PackRejected(PeerLoopError):
    """A pack was refused whole; ``errors`` says every reason and where."""

    def __init__(self, errors: Sequence[PackError]) -> None:
        self.errors: tuple[PackError, ...] = tuple(errors)
        count = len(self.errors)
        first = f" First: {self.errors[0]}" if self.errors else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"The pack was refused: {count} {noun}, nothing was applied.{first}")


class BankError(RuntimeError):
    """The bundled bank's own files are invalid: a bug in PeerLoop, not in a community's pack."""

    def __init__(self, errors: Sequence[PackError]) -> None:
        self.errors: tuple[PackError, ...] = tuple(errors)
        lines = "\n".join(f"  {e}" for e in self.errors[:50])
        more = f"\n  ... and {len(self.errors) - 50} more" if len(self.errors) > 50 else ""
        count = len(self.errors)
        super().__init__(f"the bundled question bank has {count} problem(s):\n{lines}{more}")


# --------------------------------------------------------------------------- schema


class PackHeader(BaseModel):
    """The ``pack`` table of a community pack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    name: Title
    disabled_types: list[InterviewType] = []


@dataclass(frozen=True)
class Pack:
    """A checked community pack: safe to apply with :meth:`PromptBank.with_pack`."""

    id: str
    name: str
    disabled_types: frozenset[InterviewType]
    rubrics: tuple[Rubric, ...]
    prompts: tuple[Prompt, ...]

    def to_text(self) -> str:
        """The pack as YAML, in the same form :func:`load_pack` reads."""
        return _dump_pack(self.id, self.name, self.disabled_types, self.rubrics, self.prompts)


# --------------------------------------------------------------------------- locating errors


def _format_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


#: libyaml's parser when available (much faster), with PyYAML's safe constructor.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_compose_and_load(text: str) -> tuple[yaml.Node | None, object]:
    """Parse once: the node tree (for line numbers) and the plain data built from it."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _yaml_locator(root: yaml.Node | None) -> Callable[[Loc], int | None]:
    """Map a path in the document to the 1-based line of the deepest node that exists."""

    def locate(loc: Loc) -> int | None:
        node: yaml.Node | None = root
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if str(getattr(key_node, "value", None)) == str(part):
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    return locate


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _toml_locator(text: str) -> Callable[[Loc], int | None]:
    """A light scan for TOML, which gives no positions: the table header and, if found, the key.

    ``prompts[3].guide.hints`` is found as the fourth ``[[prompts]]`` header, then a
    ``[prompts.guide]`` header inside it, then a ``hints =`` line inside that.
    """
    lines = text.splitlines()
    headers: list[tuple[int, bool, str]] = []
    for number, raw in enumerate(lines):
        match = _TOML_HEADER.match(raw)
        if match:
            name = re.sub(r"\s*\.\s*", ".", match.group(2)).replace('"', "")
            headers.append((number, match.group(1) == "[[", name))

    def section_end(start: int, table: str) -> int:
        for number, _is_array, name in headers:
            if number > start and not name.startswith(table + "."):
                return number
        return len(lines)

    def locate(loc: Loc) -> int | None:
        lo, hi, table, line = 0, len(lines), "", None
        parts = list(loc)
        i = 0
        while i < len(parts):
            part = parts[i]
            if isinstance(part, int):
                return None if line is None else line + 1
            name = f"{table}.{part}" if table else part
            nxt = parts[i + 1] if i + 1 < len(parts) else None
            inside = [h for h in headers if lo <= h[0] < hi]
            arrays = [h for h in inside if h[1] and h[2] == name]
            tables = [h for h in inside if not h[1] and h[2] == name]
            if arrays and isinstance(nxt, int):
                if nxt >= len(arrays):
                    return None if line is None else line + 1
                start = arrays[nxt][0]
                following = [h[0] for h in headers if h[0] > start and (
                    h[2] == name or not h[2].startswith(name + "."))]
                hi = following[0] if following else len(lines)
                lo, table, line = start, name, start
                i += 2
                continue
            if tables:
                start = tables[0][0]
                lo, hi, table, line = start, section_end(start, name), name, start
                i += 1
                continue
            # A key inside the current table (before its first sub-table).
            own_end = min([h[0] for h in headers if lo < h[0] < hi] + [hi])
            key = re.compile(rf"^\s*(?:{re.escape(str(part))}|\"{re.escape(str(part))}\")\s*=")
            for number in range(lo, own_end):
                if key.match(lines[number]):
                    return number + 1
            return None if line is None else line + 1
        return None if line is None else line + 1

    return locate


# --------------------------------------------------------------------------- validation


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
        return (f"text is {len(value.strip())} characters; "
                f"at least {ctx.get('min_length')} are needed")
    if kind == "too_short":
        return (f"needs at least {ctx.get('min_length')} items; "
                f"it has {ctx.get('actual_length')}")
    if kind == "too_long":
        return (f"holds at most {ctx.get('max_length')} items; "
                f"it has {ctx.get('actual_length')}")
    if kind == "enum":
        return f"{value!r} is not accepted; use one of: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return (f"{value!r} is not a valid id: use lower-case letters, digits and hyphens "
                "(e.g. 'rate-limiter-design'), 3 to 64 characters")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return msg


def _pydantic_errors(exc: ValidationError, prefix: Loc) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p != "[key]")
        out.append((prefix + loc, _message(err)))
    return out


@dataclass
class _Checked:
    header: PackHeader | None = None
    rubrics: list[Rubric] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    problems: list[tuple[Loc, str]] = field(default_factory=list)


def _validate(
    data: object,
    *,
    kind: Literal["pack", "rubrics", "prompts"],
    known_rubrics: Mapping[str, Rubric],
    taken_prompts: Mapping[str, str],
    taken_rubrics: Mapping[str, str],
    file_type: InterviewType | None = None,
) -> _Checked:
    """Validate one document; ``taken_*`` map ids already in use to where they are defined."""
    out = _Checked()
    problems = out.problems
    if not isinstance(data, dict):
        problems.append(((), "the file must be a mapping with "
                         + {"pack": "'pack' and 'prompts'", "rubrics": "'rubrics'",
                            "prompts": "'prompts'"}[kind] + " at the top"))
        return out
    allowed = {"pack": {"pack", "rubrics", "prompts"}, "rubrics": {"rubrics"},
               "prompts": {"prompts"}}[kind]
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
                prompt_facts.append(_PromptFacts(index, parsed.id, parsed.type, parsed.rubric,
                                                 tuple(parsed.guide.exercises), parsed))
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
            problems.append((loc, f"rubric id '{r_facts.id}' is already used by "
                                  f"rubrics[{seen_rubrics[r_facts.id]}]"))
        elif r_facts.id in taken_rubrics:
            problems.append((loc, f"rubric id '{r_facts.id}' is already used by "
                                  f"{taken_rubrics[r_facts.id]}; pick a new id"))
        seen_rubrics.setdefault(r_facts.id, r_facts.index)
    available = {**known_rubrics, **{r.id: r for r in out.rubrics}}

    seen_prompts: dict[str, int] = {}
    for facts in sorted(prompt_facts, key=lambda f: f.index):
        base: Loc = ("prompts", facts.index)
        if facts.id is not None:
            if facts.id in seen_prompts:
                problems.append(((*base, "id"), f"prompt id '{facts.id}' is already used by "
                                                 f"prompts[{seen_prompts[facts.id]}]"))
            elif facts.id in taken_prompts:
                problems.append(((*base, "id"), f"prompt id '{facts.id}' is already used by "
                                                 f"{taken_prompts[facts.id]}; pick a new id"))
            seen_prompts.setdefault(facts.id, facts.index)
        if file_type is not None and facts.type is not None and facts.type is not file_type:
            problems.append(((*base, "type"), f"this file holds {file_type.value} prompts; "
                                               f"a {facts.type.value} prompt belongs in "
                                               f"prompts/{facts.type.value}.yaml"))
        resolved = available.get(facts.rubric) if facts.rubric is not None else None
        if facts.rubric is None:
            pass  # no rubric given, or not a valid id: reported by the schema
        elif resolved is None:
            if facts.rubric not in raw_rubric_ids:  # an invalid rubric is reported already
                kind_ = facts.type
                same_type = sorted(r.id for r in available.values() if r.interview_type is kind_)
                hint = f"; for {kind_.value} use: {', '.join(same_type)}" if kind_ and same_type else ""
                problems.append(((*base, "rubric"), f"no rubric '{facts.rubric}'{hint}"))
        else:
            if facts.type is not None and resolved.interview_type is not facts.type:
                problems.append(((*base, "rubric"), f"rubric '{resolved.id}' is for "
                                                     f"{resolved.interview_type.value} interviews, "
                                                     f"but this prompt is {facts.type.value}"))
            dims = [d.id for d in resolved.dimensions]
            counted: set[str] = set()
            for k, dim in enumerate(facts.exercises or ()):
                where = (*base, "guide", "exercises", k)
                if dim not in dims:
                    problems.append((where, f"'{dim}' is not a dimension of rubric "
                                            f"'{resolved.id}'; choose from: {', '.join(dims)}"))
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


def _enum(kind: type[InterviewType] | type[Level], value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return None


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _rubric_facts_of(index: int, item: Mapping[str, Any], bad: Sequence[Loc]) -> _RubricFacts:
    dims = _valid_field(item, ("dimensions",), bad)
    own: list[str] = []
    if isinstance(dims, list) and all(isinstance(d, Mapping) and isinstance(d.get("id"), str) for d in dims):
        own = rubric_problems(d["id"] for d in dims)
    return _RubricFacts(index, _slug(_valid_field(item, ("id",), bad)), None, tuple(own))


def _prompt_facts_of(index: int, item: Mapping[str, Any], bad: Sequence[Loc]) -> _PromptFacts:
    kind = _enum(InterviewType, _valid_field(item, ("type",), bad))
    exercises = _valid_field(item, ("guide", "exercises"), bad)
    own: list[str] = []
    levels = _valid_field(item, ("levels",), bad)
    follow_ups = _valid_field(item, ("guide", "follow_ups"), bad)
    if kind is not None and isinstance(levels, list) and isinstance(follow_ups, Mapping):
        level_list = [lv for lv in (_enum(Level, v) for v in levels) if lv is not None]
        given = {lv for lv in (_enum(Level, k) for k in follow_ups) if lv is not None}
        sections = {name for name in EXTRA_SECTIONS if item.get(name) is not None}
        own = prompt_problems(kind, level_list, given, sections)
    return _PromptFacts(
        index,
        _slug(_valid_field(item, ("id",), bad)),
        kind,
        _slug(_valid_field(item, ("rubric",), bad)),
        tuple(exercises) if isinstance(exercises, list) and all(isinstance(e, str) for e in exercises) else None,
        None,
        tuple(own),
    )


_TOO_DEEP = "nested too deeply: a pack is a few levels of tables and lists"


def _parse(text: str, fmt: Format) -> tuple[object, list[PackError], Callable[[Loc], int | None]]:
    if fmt == "toml":
        locate = _toml_locator(text)
        try:
            return tomllib.loads(text), [], locate
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) if match else None
            return None, [PackError("", f"not valid TOML: {exc}", line)], locate
        except RecursionError:
            return None, [PackError("", _TOO_DEEP, None)], locate
    try:
        root, data = _yaml_compose_and_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [PackError("", f"not valid YAML: {problem}", line)], _yaml_locator(None)
    except RecursionError:
        return None, [PackError("", _TOO_DEEP, None)], _yaml_locator(None)
    except (ValueError, TypeError, OverflowError):
        # PyYAML reads unquoted dates and times itself and fails on impossible ones (2026-02-30)
        return None, [PackError("", "not valid YAML: a value looks like a date or time that does not exist; "
                                    "put it in quotes to keep it as text", None)], _yaml_locator(None)
    return data, _yaml_duplicate_keys(root), _yaml_locator(root)


def _yaml_duplicate_keys(root: yaml.Node | None) -> list[PackError]:
    """PyYAML keeps the last of two equal keys silently; a pack author wants to know."""
    found: list[PackError] = []

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(getattr(key_node, "value", ""))
                if key in seen:
                    found.append(PackError(_format_path((*loc, key)),
                                           "this key appears twice; the second one would win",
                                           key_node.start_mark.line + 1))
                seen.add(key)
                walk(value_node, (*loc, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    if root is not None:
        walk(root, ())
    return found


def _errors(problems: Iterable[tuple[Loc, str]], locate: Callable[[Loc], int | None],
            source: str | None) -> list[PackError]:
    return [PackError(_format_path(loc), message, locate(loc), source) for loc, message in problems]


def _sorted(errors: Iterable[PackError]) -> list[PackError]:
    indexed = list(enumerate(errors))
    indexed.sort(key=lambda pair: (pair[1].source or "",
                                   pair[1].line if pair[1].line is not None else 10**9, pair[0]))
    return [error for _, error in indexed]


def _read_source(source: str | Path, fmt: str | None) -> tuple[str, Format, str | None]:
    """Accept a path or the text itself; work out the format."""
    name: str | None = None
    if isinstance(source, Path) or ("\n" not in source and len(source) < 4096
                                    and Path(source).is_file()):
        path = Path(source)
        raw = path.read_bytes()
        if len(raw) > MAX_PACK_BYTES:
            raise InvalidInput("pack", f"The file is {len(raw):,} bytes; a pack may be at most "
                                       f"{MAX_PACK_BYTES:,} bytes.")
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


# --------------------------------------------------------------------------- packs


def _check(source: str | Path, fmt: str | None, bank: PromptBank | None
           ) -> tuple[_Checked | None, list[PackError]]:
    try:
        text, parsed_fmt, name = _read_source(source, fmt)
    except InvalidInput as exc:
        return None, [PackError("", exc.message)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [PackError("", f"cannot read the pack: {exc}")]
    data, errors, locate = _parse(text, parsed_fmt)
    if data is None and errors:
        return None, [PackError(e.path, e.message, e.line, name) for e in errors]
    base = bank if bank is not None else load_bundled()
    checked = _validate(
        data, kind="pack", known_rubrics=base.rubric_map(),
        taken_prompts={pid: base.origin_label(pid) for pid in base.prompt_ids()},
        taken_rubrics={rid: base.origin_label(rid, rubric=True) for rid in base.rubric_map()},
    )
    errors = [PackError(e.path, e.message, e.line, name) for e in errors]
    errors += _errors(checked.problems, locate, name)
    return checked, _sorted(errors)


def check_pack(source: str | Path, fmt: str | None = None, *,
               bank: PromptBank | None = None) -> list[PackError]:
    """Every problem in a pack, with its place; an empty list means the pack is good.

    ``source`` is a path or the pack's text; ``fmt`` is ``"yaml"`` or ``"toml"`` (default:
    from the file's suffix, or sniffed from the text). Ids are checked against ``bank``
    (default: the bundled bank).
    """
    return _check(source, fmt, bank)[1]


def pack_outline(source: str | Path, fmt: str | None = None
                 ) -> tuple[frozenset[InterviewType], tuple[InterviewType, ...]] | None:
    """A pack read leniently (one with problems too): the built-in types it switches off and
    the type of every prompt whose type can be read; None when the file cannot be parsed."""
    try:
        text, parsed_fmt, _name = _read_source(source, fmt)
    except (InvalidInput, OSError, UnicodeDecodeError):
        return None
    data, _errors, _locate = _parse(text, parsed_fmt)
    if not isinstance(data, dict):
        return None
    header = data.get("pack")
    raw_disabled = header.get("disabled_types") if isinstance(header, dict) else None
    disabled = {_enum(InterviewType, v) for v in raw_disabled} if isinstance(raw_disabled, list) else set()
    items = data.get("prompts")
    types = [_enum(InterviewType, p.get("type")) for p in items if isinstance(p, dict)] if isinstance(
        items, list) else []
    return frozenset(t for t in disabled if t is not None), tuple(t for t in types if t is not None)


def load_pack(source: str | Path, fmt: str | None = None, *,
              bank: PromptBank | None = None) -> Pack:
    """Read and check a pack; raise :class:`PackRejected` (with every problem) if it is not good."""
    checked, errors = _check(source, fmt, bank)
    if errors or checked is None or checked.header is None:
        raise PackRejected(errors or [PackError("", "the pack could not be read")])
    return Pack(
        id=checked.header.id,
        name=checked.header.name,
        disabled_types=frozenset(checked.header.disabled_types),
        rubrics=tuple(checked.rubrics),
        prompts=tuple(checked.prompts),
    )


# --------------------------------------------------------------------------- the bank


class PromptBank:
    """An immutable question bank: prompts and rubrics, queryable by type, level and track.

    Built-in prompts of a type a pack disables are hidden from :meth:`prompts` and
    :meth:`types`, but :meth:`get` still finds them (a past session may name one).
    """

    __slots__ = ("_disabled", "_origin", "_packs", "_prompts", "_rubric_origin", "_rubrics")

    def __init__(
        self,
        rubrics: Iterable[Rubric],
        prompts: Iterable[Prompt],
        *,
        origin: Mapping[str, str] | None = None,
        rubric_origin: Mapping[str, str] | None = None,
        disabled_types: Iterable[InterviewType] = (),
        packs: Iterable[str] = (),
    ) -> None:
        rubric_map: dict[str, Rubric] = {}
        for rubric in rubrics:
            if rubric.id in rubric_map:
                raise ValueError(f"duplicate rubric id {rubric.id!r}")
            rubric_map[rubric.id] = rubric
        prompt_map: dict[str, Prompt] = {}
        for prompt in prompts:
            if prompt.id in prompt_map:
                raise ValueError(f"duplicate prompt id {prompt.id!r}")
            if prompt.rubric not in rubric_map:
                raise ValueError(f"prompt {prompt.id!r} names unknown rubric {prompt.rubric!r}")
            prompt_map[prompt.id] = prompt
        self._rubrics: Mapping[str, Rubric] = MappingProxyType(rubric_map)
        self._prompts: Mapping[str, Prompt] = MappingProxyType(prompt_map)
        self._origin: Mapping[str, str] = MappingProxyType(
            {pid: (origin or {}).get(pid, BUNDLED_ORIGIN) for pid in prompt_map})
        self._rubric_origin: Mapping[str, str] = MappingProxyType(
            {rid: (rubric_origin or {}).get(rid, BUNDLED_ORIGIN) for rid in rubric_map})
        self._disabled: frozenset[InterviewType] = frozenset(disabled_types)
        self._packs: tuple[str, ...] = tuple(packs)

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError("PromptBank is immutable; use with_pack() for a new bank")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"PromptBank({len(self._prompts)} prompts, {len(self._rubrics)} rubrics, "
                f"packs={list(self._packs)})")

    def __len__(self) -> int:
        return len(self.prompts())

    # ---- lookups

    def get(self, prompt_id: str) -> Prompt:
        try:
            return self._prompts[prompt_id]
        except KeyError:
            raise NotFound(f"There is no prompt “{prompt_id}”.") from None

    def find(self, prompt_id: str) -> Prompt | None:
        return self._prompts.get(prompt_id)

    def rubric(self, rubric_id: str) -> Rubric:
        try:
            return self._rubrics[rubric_id]
        except KeyError:
            raise NotFound(f"There is no rubric “{rubric_id}”.") from None

    def rubric_for(self, prompt: Prompt) -> Rubric:
        return self.rubric(prompt.rubric)

    def rubric_for_type(self, interview_type: InterviewType | str) -> Rubric:
        """The type's rubric: the one whose id is the type's value, else the first for the type."""
        kind = InterviewType(interview_type)
        if kind.value in self._rubrics:
            return self._rubrics[kind.value]
        for rubric in self._rubrics.values():
            if rubric.interview_type is kind:
                return rubric
        raise NotFound(f"There is no rubric for {kind.label} interviews.")

    def rubric_map(self) -> Mapping[str, Rubric]:
        return self._rubrics

    def rubrics(self) -> tuple[Rubric, ...]:
        return tuple(self._rubrics.values())

    def prompt_ids(self) -> tuple[str, ...]:
        return tuple(self._prompts)

    def origin(self, prompt_id: str) -> str:
        """``"bundled"`` or the id of the pack the prompt came from."""
        return self._origin[prompt_id]

    def origin_label(self, item_id: str, *, rubric: bool = False) -> str:
        where = (self._rubric_origin if rubric else self._origin).get(item_id, BUNDLED_ORIGIN)
        return "the bundled bank" if where == BUNDLED_ORIGIN else f"pack '{where}'"

    @property
    def disabled_types(self) -> frozenset[InterviewType]:
        return self._disabled

    @property
    def packs(self) -> tuple[str, ...]:
        return self._packs

    def is_enabled(self, prompt: Prompt) -> bool:
        return not (prompt.type in self._disabled and self._origin[prompt.id] == BUNDLED_ORIGIN)

    def prompts(
        self,
        type: InterviewType | str | None = None,
        level: Level | str | None = None,
        track: str | None = None,
    ) -> tuple[Prompt, ...]:
        """Enabled prompts, in bank order, filtered by type, level and track (``any`` fits all)."""
        kind = InterviewType(type) if type is not None else None
        lvl = Level(level) if level is not None else None
        return tuple(
            p for p in self._prompts.values()
            if self.is_enabled(p)
            and (kind is None or p.type is kind)
            and (lvl is None or lvl in p.levels)
            and (track is None or track == "any" or p.suits_track(track))
        )

    def types(self) -> tuple[InterviewType, ...]:
        """The interview types with at least one enabled prompt, in the vocabulary's order."""
        present = {p.type for p in self._prompts.values() if self.is_enabled(p)}
        return tuple(t for t in InterviewType if t in present)

    # ---- combining

    def with_pack(self, pack: Pack) -> PromptBank:
        """A new bank with the pack's rubrics and prompts added and its disabled types off.

        Raises :class:`PackRejected` if an id clashes with this bank (a pack checked against
        another bank) or a prompt's rubric cannot be resolved; this bank is never changed.
        """
        problems: list[PackError] = []
        for index, rubric in enumerate(pack.rubrics):
            if rubric.id in self._rubrics:
                used = self.origin_label(rubric.id, rubric=True)
                problems.append(PackError(f"rubrics[{index}].id",
                                          f"rubric id '{rubric.id}' is already used by {used}"))
        for index, prompt in enumerate(pack.prompts):
            if prompt.id in self._prompts:
                problems.append(PackError(f"prompts[{index}].id", f"prompt id '{prompt.id}' is "
                                          f"already used by {self.origin_label(prompt.id)}"))
            known = prompt.rubric in self._rubrics or any(
                r.id == prompt.rubric for r in pack.rubrics)
            if not known:
                problems.append(PackError(f"prompts[{index}].rubric",
                                          f"no rubric '{prompt.rubric}'"))
        if pack.id in self._packs:
            problems.append(PackError("pack.id", f"pack '{pack.id}' is already applied"))
        if problems:
            raise PackRejected(problems)
        return PromptBank(
            [*self._rubrics.values(), *pack.rubrics],
            [*self._prompts.values(), *pack.prompts],
            origin={**self._origin, **{p.id: pack.id for p in pack.prompts}},
            rubric_origin={**self._rubric_origin, **{r.id: pack.id for r in pack.rubrics}},
            disabled_types=self._disabled | pack.disabled_types,
            packs=(*self._packs, pack.id),
        )

    def to_pack_text(
        self,
        pack_id: str,
        name: str,
        *,
        prompt_ids: Iterable[str] | None = None,
        disabled_types: Iterable[InterviewType | str] = (),
    ) -> str:
        """Export prompts as a pack (YAML). By default: every prompt and rubric added by packs.

        Exporting bundled prompts gives a starting point for a community's own: give them
        new ids before loading the file back as a pack.
        """
        if prompt_ids is None:
            chosen = [p for p in self._prompts.values() if self._origin[p.id] != BUNDLED_ORIGIN]
            rubrics = [r for r in self._rubrics.values()
                       if self._rubric_origin[r.id] != BUNDLED_ORIGIN]
        else:
            chosen = [self.get(pid) for pid in prompt_ids]
            wanted = {p.rubric for p in chosen}
            rubrics = [r for r in self._rubrics.values()
                       if r.id in wanted and self._rubric_origin[r.id] != BUNDLED_ORIGIN]
        return _dump_pack(pack_id, name, {InterviewType(t) for t in disabled_types},
                          rubrics, chosen)


def _dump_pack(pack_id: str, name: str, disabled: Iterable[InterviewType],
               rubrics: Iterable[Rubric], prompts: Iterable[Prompt]) -> str:
    doc: dict[str, Any] = {
        "pack": {"id": pack_id, "name": name,
                 "disabled_types": sorted(t.value for t in disabled)},
    }
    rubric_list = [r.model_dump(mode="json", exclude_none=True) for r in rubrics]
    if rubric_list:
        doc["rubrics"] = rubric_list
    doc["prompts"] = [p.model_dump(mode="json", exclude_none=True) for p in prompts]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=96)


# --------------------------------------------------------------------------- the bundled bank


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


def _load_bundled_lenient(skip: str | None = None
                          ) -> tuple[list[Rubric], list[Prompt], dict[str, str], list[PackError]]:
    """Every valid rubric and prompt of the bundled files, with the problems found on the way."""
    (rubric_name, rubric_text), prompt_files = _bundled_files()
    errors: list[PackError] = []
    data, parse_errors, locate = _parse(rubric_text, "yaml")
    errors += [PackError(e.path, e.message, e.line, rubric_name) for e in parse_errors]
    checked = _validate(data, kind="rubrics", known_rubrics={}, taken_prompts={},
                        taken_rubrics={})
    errors += _errors(checked.problems, locate, rubric_name)
    rubrics = checked.rubrics
    rubric_ids = {r.id for r in rubrics}
    for kind in InterviewType:
        if kind.value not in rubric_ids:
            errors.append(PackError("rubrics", f"no rubric with id '{kind.value}'", None,
                                    rubric_name))
    known = {r.id: r for r in rubrics}
    prompts: list[Prompt] = []
    where: dict[str, str] = {}
    for name, text in prompt_files:
        if name == skip:
            continue
        data, parse_errors, locate = _parse(text, "yaml")
        errors += [PackError(e.path, e.message, e.line, name) for e in parse_errors]
        if data is None:
            continue
        checked = _validate(data, kind="prompts", known_rubrics=known, taken_prompts=where,
                            taken_rubrics={}, file_type=_file_type(name))
        errors += _errors(checked.problems, locate, name)
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
        raise BankError(_sorted(errors))
    return PromptBank(rubrics, prompts)


def check_bank_file(path: str | Path) -> list[PackError]:
    """Check one bank data file (``prompts: [...]`` or ``rubrics: [...]``, no ``pack`` table).

    Prompts are checked against the bundled rubrics, and their ids against every other
    bundled prompt file, so a writer can check a file before it is complete.
    """
    path = Path(path)
    name = path.name
    text = path.read_text(encoding="utf-8-sig")
    data, errors, locate = _parse(text, "yaml" if path.suffix.lower() != ".toml" else "toml")
    errors = [PackError(e.path, e.message, e.line, name) for e in errors]
    if data is None:
        return errors
    if isinstance(data, dict) and "rubrics" in data and "prompts" not in data:
        checked = _validate(data, kind="rubrics", known_rubrics={}, taken_prompts={},
                            taken_rubrics={})
        return _sorted(errors + _errors(checked.problems, locate, name))
    rubrics, _prompts, where, _bank_errors = _load_bundled_lenient(skip=f"prompts/{name}")
    checked = _validate(data, kind="prompts", known_rubrics={r.id: r for r in rubrics},
                        taken_prompts=where, taken_rubrics={}, file_type=_file_type(name))
    return _sorted(errors + _errors(checked.problems, locate, name))
