"""Community packs: checked (:func:`check_pack`), outlined (:func:`pack_outline`) and loaded
(:func:`load_pack`).

A *pack* is a community's
own file (YAML or TOML) with a ``pack`` table (``id``, ``name``, ``disabled_types``) and
optional ``rubrics`` and ``prompts`` lists in the bank's schema (:mod:`bot.core.bank`).

A pack is checked whole: every problem is reported with its place in the file (a path such
as ``prompts[3].guide.hints`` and, where it can be found, a line number), and a pack with
any problem is refused whole; nothing of it is applied.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.errors import InvalidInput
from bot.core.vocab import InterviewType
from bot.prompts.bundled import load_bundled
from bot.prompts.pack import Pack
from bot.prompts.parsing import (
    Checked,
    enum_value,
    located_errors,
    parse_text,
    read_source,
    sorted_errors,
    validate_document,
)
from bot.prompts.problems import PackError, PackRejected
from bot.prompts.prompt_bank import PromptBank


def _check(
    source: str | Path, fmt: str | None, bank: PromptBank | None
) -> tuple[Checked | None, list[PackError]]:
    try:
        text, parsed_fmt, name = read_source(source, fmt)
    except InvalidInput as exc:
        return None, [PackError("", exc.message)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [PackError("", f"cannot read the pack: {exc}")]
    data, errors, locate = parse_text(text, parsed_fmt)
    if data is None and errors:
        return None, [PackError(e.path, e.message, e.line, name) for e in errors]
    base = bank if bank is not None else load_bundled()
    checked = validate_document(
        data,
        kind="pack",
        known_rubrics=base.rubric_map(),
        taken_prompts={pid: base.origin_label(pid) for pid in base.prompt_ids()},
        taken_rubrics={rid: base.origin_label(rid, rubric=True) for rid in base.rubric_map()},
    )
    errors = [PackError(e.path, e.message, e.line, name) for e in errors]
    errors += located_errors(checked.problems, locate, name)
    return checked, sorted_errors(errors)


def check_pack(
    source: str | Path, fmt: str | None = None, *, bank: PromptBank | None = None
) -> list[PackError]:
    """Every problem in a pack, with its place; an empty list means the pack is good.

    ``source`` is a path or the pack's text; ``fmt`` is ``"yaml"`` or ``"toml"`` (default:
    from the file's suffix, or sniffed from the text). Ids are checked against ``bank``
    (default: the bundled bank).
    """
    return _check(source, fmt, bank)[1]


def pack_outline(
    source: str | Path, fmt: str | None = None
) -> tuple[frozenset[InterviewType], tuple[InterviewType, ...]] | None:
    """A pack read leniently (one with problems too): the built-in types it switches off and
    the type of every prompt whose type can be read; None when the file cannot be parsed."""
    try:
        text, parsed_fmt, _name = read_source(source, fmt)
    except (InvalidInput, OSError, UnicodeDecodeError):
        return None
    data, _errors, _locate = parse_text(text, parsed_fmt)
    if not isinstance(data, dict):
        return None
    header = data.get("pack")
    raw_disabled = header.get("disabled_types") if isinstance(header, dict) else None
    disabled = (
        {enum_value(InterviewType, v) for v in raw_disabled}
        if isinstance(raw_disabled, list)
        else set()
    )
    items = data.get("prompts")
    types = (
        [enum_value(InterviewType, p.get("type")) for p in items if isinstance(p, dict)]
        if isinstance(items, list)
        else []
    )
    return frozenset(t for t in disabled if t is not None), tuple(t for t in types if t is not None)


def load_pack(
    source: str | Path, fmt: str | None = None, *, bank: PromptBank | None = None
) -> Pack:
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
