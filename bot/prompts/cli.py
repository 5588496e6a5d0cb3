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
from typing import TextIO

import yaml

from bot.core.errors import InvalidInput, NotFound
from bot.core.vocab import InterviewType, Level, parse_interview_type, parse_level
from bot.prompts.loader import (
    BankError,
    PackError,
    PromptBank,
    check_bank_file,
    check_pack,
    load_bundled,
    load_pack,
)
from bot.prompts.render import render_guide, render_rubric, render_statement

__all__ = ["cmd_check", "cmd_list", "cmd_show", "main"]


def _is_pack(path: Path) -> bool:
    """A pack has a top-level ``pack`` table; a bank data file does not."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = (tomllib.loads(text) if path.suffix.lower() == ".toml"
                else yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError):
        return True  # let the pack checker report the problem
    return not (isinstance(data, dict) and "pack" not in data
                and ("prompts" in data or "rubrics" in data))


def _print_errors(errors: Sequence[PackError], out: TextIO) -> None:
    for error in errors:
        print(str(error), file=out)


def cmd_check(path: str, out: TextIO | None = None) -> int:
    """Check a pack (or one of the bank's own data files); print each problem with its place."""
    out = out if out is not None else sys.stdout
    file = Path(path)
    if not file.is_file():
        print(f"{path}: no such file", file=out)
        return 2
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
        data = yaml.load(file.read_text(encoding="utf-8-sig"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        prompts = data.get("prompts") or []
        rubrics = data.get("rubrics") or []
        what = f"{len(prompts)} prompts" if prompts else f"{len(rubrics)} rubrics"
        print(f"{file.name}: OK, {what} valid.", file=out)
        return 0
    errors = check_pack(file, bank=bank)
    if errors:
        _print_errors(errors, out)
        noun = "problem" if len(errors) == 1 else "problems"
        print(f"{file.name}: {len(errors)} {noun}; the pack would be refused whole "
              "(nothing of it applied).", file=out)
        return 1
    pack = load_pack(file, bank=bank)
    by_type = Counter(p.type.value for p in pack.prompts)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(by_type.items())) or "none"
    print(f"{file.name}: OK, pack '{pack.id}' ({pack.name}).", file=out)
    print(f"  prompts: {len(pack.prompts)} ({kinds})", file=out)
    print(f"  new rubrics: {', '.join(r.id for r in pack.rubrics) or 'none'}", file=out)
    disabled = ", ".join(sorted(t.value for t in pack.disabled_types)) or "none"
    print(f"  built-in types switched off: {disabled}", file=out)
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
        rows = [{"id": p.id, "type": kind.value, "title": p.title, "levels": [lv.value for lv in p.levels],
                 "tracks": list(p.tracks)} for kind in kinds for p in bank.prompts(type=kind)]
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
            print(f"There is no prompt or rubric “{prompt_id}”. "
                  "Try: python -m bot.prompts list", file=out)
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


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.prompts",
                                     description="PeerLoop question bank tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check a community pack (YAML or TOML)")
    check.add_argument("file")
    listing = sub.add_parser("list", help="list the bundled prompts")
    listing.add_argument("--type", dest="type", default=None)
    listing.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    show = sub.add_parser("show", help="show a prompt with its guide, or a rubric")
    show.add_argument("id")
    show.add_argument("--level", default=None)
    args = parser.parse_args(argv)
    if args.command == "check":
        return cmd_check(args.file, out)
    if args.command == "list":
        return cmd_list(args.type, out, as_json=args.json)
    return cmd_show(args.id, out, level=args.level)
