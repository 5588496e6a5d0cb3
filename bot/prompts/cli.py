"""Command-line helpers for the question bank.

The CLI owner wires these to ``peerloop prompts check FILE``, ``peerloop prompts list
[--type T]`` and ``peerloop prompts show ID``; ``python -m bot.prompts`` runs them directly.
Each returns a process exit code: 0 on success, 1 when the input has problems, 2 on misuse.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.core.bank import Prompt
from bot.core.errors import InvalidInput, NotFound
from bot.core.vocab import (
    DEFAULT_TRACKS,
    InterviewType,
    Level,
    parse_interview_type,
    parse_level,
)
from bot.prompts.bundled import check_bank_file, load_bundled
from bot.prompts.loader import check_pack, load_pack
from bot.prompts.loop_templates import check_loop_file, check_loop_text, is_loop_template
from bot.prompts.numbers_check import verify as verify_numbers
from bot.prompts.problems import BankError, PackError
from bot.prompts.prompt_bank import PromptBank
from bot.prompts.render import render_guide, render_rubric, render_statement

__all__ = [
    "LEVEL_TARGET",
    "TYPE_TARGET",
    "bank_stats",
    "cmd_check",
    "cmd_list",
    "cmd_show",
    "cmd_stats",
    "main",
]


def _is_pack(path: Path) -> bool:
    """A pack has a top-level ``pack`` table; a bank data file does not."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = (
            tomllib.loads(text)
            if path.suffix.lower() == ".toml"
            else yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        )
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError):
        return True  # let the pack checker report the problem
    return not (
        isinstance(data, dict) and "pack" not in data and ("prompts" in data or "rubrics" in data)
    )


def _is_loop_file(path: Path) -> bool:
    """A loop template: YAML with ``rounds`` at the top and no prompts."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        data = yaml.load(
            path.read_text(encoding="utf-8-sig"),
            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
        )
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, TypeError):
        return False
    return is_loop_template(data)


def _check_loop(file: Path, out: TextIO) -> int:
    """Check a loop template file and print its rounds, or each problem with its place."""
    errors = check_loop_file(file)
    if errors:
        _print_errors(errors, out)
        noun = "problem" if len(errors) == 1 else "problems"
        print(f"{file.name}: {len(errors)} {noun}; the loop template would be refused.", file=out)
        return 1
    template, _ = check_loop_text(file.read_text(encoding="utf-8-sig"), file.name)
    assert template is not None
    print(
        f"{file.name}: OK, loop template '{template.id}' ({template.name}), track "
        f"{template.track}, {template.days} days.",
        file=out,
    )
    for k, r in enumerate(template.rounds, start=1):
        print(f"  round {k}: {r.type.value}" + (f" — {r.focus}" if r.focus else ""), file=out)
    return 0


def _print_errors(errors: Sequence[PackError], out: TextIO) -> None:
    for error in errors:
        print(str(error), file=out)


def _print_figure_notes(prompts: Sequence[Prompt], out: TextIO) -> None:
    """Worked figures that do not match their formulas or are not in the prose: a note, not a
    refusal (the schema accepts them; the bank's own tests hold its prompts to them)."""
    notes = [note for prompt in prompts for note in verify_numbers(prompt)]
    for note in notes:
        print(f"  note: {note}", file=out)
    if notes:
        print(
            f"  {len(notes)} worked figure(s) to check: the statement or guide says something the "
            "formula does not give.",
            file=out,
        )


def cmd_check(path: str, out: TextIO | None = None) -> int:
    """Check a pack (or one of the bank's own data files); print each problem with its place."""
    out = out if out is not None else sys.stdout
    file = Path(path)
    if not file.is_file():
        print(f"{path}: no such file", file=out)
        return 2
    if _is_loop_file(file):
        return _check_loop(file, out)
    try:
        bank = load_bundled()
    except BankError as exc:
        print(f"The bundled question bank itself has problems; fix them first:\n{exc}", file=out)
        return 2
    if not _is_pack(file):
        errors = check_bank_file(file)
        if errors:
            _print_errors(errors, out)
            noun = "problem" if len(errors) == 1 else "problems"
            print(f"{file.name}: {len(errors)} {noun}.", file=out)
            return 1
        data = yaml.load(
            file.read_text(encoding="utf-8-sig"),
            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
        )
        prompts = data.get("prompts") or []
        rubrics = data.get("rubrics") or []
        what = f"{len(prompts)} prompts" if prompts else f"{len(rubrics)} rubrics"
        print(f"{file.name}: OK, {what} valid.", file=out)
        _print_figure_notes([Prompt.model_validate(item) for item in prompts], out)
        return 0
    errors = check_pack(file, bank=bank)
    if errors:
        _print_errors(errors, out)
        noun = "problem" if len(errors) == 1 else "problems"
        print(
            f"{file.name}: {len(errors)} {noun}; the pack would be refused whole "
            "(nothing of it applied).",
            file=out,
        )
        return 1
    pack = load_pack(file, bank=bank)
    by_type = Counter(p.type.value for p in pack.prompts)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(by_type.items())) or "none"
    print(f"{file.name}: OK, pack '{pack.id}' ({pack.name}).", file=out)
    print(f"  prompts: {len(pack.prompts)} ({kinds})", file=out)
    print(f"  new rubrics: {', '.join(r.id for r in pack.rubrics) or 'none'}", file=out)
    disabled = ", ".join(sorted(t.value for t in pack.disabled_types)) or "none"
    print(f"  built-in types switched off: {disabled}", file=out)
    _print_figure_notes(pack.prompts, out)
    return 0


def _bank(out: TextIO) -> PromptBank | None:
    try:
        return load_bundled()
    except BankError as exc:
        print(str(exc), file=out)
        return None


def cmd_list(type: str | None = None, out: TextIO | None = None, *, as_json: bool = False) -> int:
    """List the bundled prompts, optionally of one interview type (``as_json``: one JSON document,
    ``{"prompts": [{"id", "type", "title", "levels", "tracks"}, …], "count": n}``)."""
    out = out if out is not None else sys.stdout
    bank = _bank(out)
    if bank is None:
        return 1
    kinds: Sequence[InterviewType]
    if type is not None:
        try:
            kinds = [parse_interview_type(type)]
        except InvalidInput as exc:
            print(exc.message, file=out)
            return 2
    else:
        kinds = bank.types()
    if as_json:
        rows = [
            {
                "id": p.id,
                "type": kind.value,
                "title": p.title,
                "levels": [lv.value for lv in p.levels],
                "tracks": list(p.tracks),
            }
            for kind in kinds
            for p in bank.prompts(type=kind)
        ]
        json.dump({"prompts": rows, "count": len(rows)}, out, indent=2)
        print(file=out)
        return 0
    total = 0
    for kind in kinds:
        prompts = bank.prompts(type=kind)
        total += len(prompts)
        print(f"{kind.label} ({kind.value}): {len(prompts)} prompts", file=out)
        for prompt in prompts:
            levels = ",".join(lv.value for lv in prompt.levels)
            tracks = ",".join(prompt.tracks)
            print(f"  {prompt.id:<40} {levels:<26} {tracks:<24} {prompt.title}", file=out)
    if type is None:
        print(f"{total} prompts in {len(kinds)} interview types.", file=out)
    return 0


def cmd_show(prompt_id: str, out: TextIO | None = None, *, level: str | None = None) -> int:
    """Show a prompt (statement, then the interviewer's guide) or a rubric, by id."""
    out = out if out is not None else sys.stdout
    bank = _bank(out)
    if bank is None:
        return 1
    lvl: Level | None = None
    if level is not None:
        try:
            lvl = parse_level(level)
        except InvalidInput as exc:
            print(exc.message, file=out)
            return 2
    prompt = bank.find(prompt_id)
    if prompt is None:
        try:
            rubric = bank.rubric(prompt_id)
        except NotFound:
            print(
                f"There is no prompt or rubric “{prompt_id}”. Try: python -m bot.prompts list",
                file=out,
            )
            return 1
        print("\n\n".join(render_rubric(rubric, lvl)), file=out)
        return 0
    print("=== What the candidate sees ===", file=out)
    print(render_statement(prompt), file=out)
    pages = render_guide(prompt, bank.rubric(prompt.rubric), level=lvl)
    for number, page in enumerate(pages, start=1):
        print(f"\n=== Interviewer guide, page {number} of {len(pages)} ===", file=out)
        print(page, file=out)
    return 0


#: The bank's targets: prompts that fit each level of each type, and prompts per type.
LEVEL_TARGET = 10
TYPE_TARGET = 40


def bank_stats(bank: PromptBank) -> dict[str, object]:
    """Counts of the bank's prompts per type, level and track, and the cells below target.

    ``tracks`` counts the prompts that name each track (``any`` included); ``fit`` counts,
    for each default track and level, the prompts a candidate there can get (``any`` fits).
    """
    types: dict[str, object] = {}
    below: list[dict[str, object]] = []
    short_types: list[dict[str, object]] = []
    for kind in InterviewType:
        prompts = bank.prompts(type=kind)
        levels = {lv.value: sum(lv in p.levels for p in prompts) for lv in Level}
        named = Counter(track for p in prompts for track in p.tracks)
        fit = {
            track: {
                lv.value: sum(lv in p.levels and p.suits_track(track) for p in prompts)
                for lv in Level
            }
            for track in DEFAULT_TRACKS
        }
        types[kind.value] = {
            "total": len(prompts),
            "levels": levels,
            "tracks": dict(sorted(named.items())),
            "fit": fit,
        }
        below += [
            {"type": kind.value, "level": lv, "count": n, "target": LEVEL_TARGET}
            for lv, n in levels.items()
            if n < LEVEL_TARGET
        ]
        if len(prompts) < TYPE_TARGET:
            short_types.append({"type": kind.value, "count": len(prompts), "target": TYPE_TARGET})
    return {
        "total": len(bank.prompts()),
        "level_target": LEVEL_TARGET,
        "type_target": TYPE_TARGET,
        "types": types,
        "below_target": below,
        "types_below_target": short_types,
    }


def cmd_stats(as_json: bool = False, out: TextIO | None = None) -> int:
    """Print how many bundled prompts fit each interview type and level, and what is short."""
    out = out if out is not None else sys.stdout
    bank = _bank(out)
    if bank is None:
        return 1
    stats = bank_stats(bank)
    if as_json:
        print(json.dumps(stats, indent=2), file=out)
        return 0
    types: dict[str, dict[str, Any]] = stats["types"]  # type: ignore[assignment]
    head = f"{'type':<22}{'total':>6}" + "".join(f"{lv.value:>8}" for lv in Level)
    print(
        f"Bundled prompts per interview type and level (target: {LEVEL_TARGET} per level, "
        f"{TYPE_TARGET} per type)",
        file=out,
    )
    print(head, file=out)
    for kind, row in types.items():
        cells = "".join(f"{row['levels'][lv.value]:>8}" for lv in Level)
        print(f"{kind:<22}{row['total']:>6}{cells}", file=out)
    print(f"{'all':<22}{stats['total']:>6}", file=out)
    below: list[dict[str, Any]] = stats["below_target"]  # type: ignore[assignment]
    if below:
        print(f"\nBelow the target of {LEVEL_TARGET} per level:", file=out)
        for cell in below:
            print(
                f"  {cell['type']} / {cell['level']}: {cell['count']} "
                f"({LEVEL_TARGET - cell['count']} short)",
                file=out,
            )
    else:
        print(f"\nEvery type has at least {LEVEL_TARGET} prompts at every level.", file=out)
    short: list[dict[str, Any]] = stats["types_below_target"]  # type: ignore[assignment]
    if short:
        print(f"\nBelow the target of {TYPE_TARGET} per type:", file=out)
    for cell in short:
        print(f"  {cell['type']}: {cell['count']} ({TYPE_TARGET - cell['count']} short)", file=out)
    print("\nPrompts naming each track ('any' fits every track):", file=out)
    for kind, row in types.items():
        named = ", ".join(f"{track} {n}" for track, n in row["tracks"].items())
        print(f"  {kind}: {named}", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.prompts", description="PeerLoop question bank tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "check", help="check a community pack (YAML or TOML) or a loop template (YAML)"
    )
    check.add_argument("file")
    listing = sub.add_parser("list", help="list the bundled prompts")
    listing.add_argument("--type", dest="type", default=None)
    listing.add_argument(
        "--json", action="store_true", help="one JSON document instead of the table"
    )
    show = sub.add_parser("show", help="show a prompt with its guide, or a rubric")
    show.add_argument("id")
    show.add_argument("--level", default=None)
    stats = sub.add_parser("stats", help="count the bundled prompts per type, level and track")
    stats.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    if args.command == "stats":
        return cmd_stats(args.json, out)
    if args.command == "check":
        return cmd_check(args.file, out)
    if args.command == "list":
        return cmd_list(args.type, out, as_json=args.json)
    return cmd_show(args.id, out, level=args.level)
