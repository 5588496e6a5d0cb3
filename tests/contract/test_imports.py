"""docs/architecture.md says which libraries the core and the matcher may import; the code agrees.

The "may import" cell of each package's row in the table is read from the document, and every
import in the package's files (found with ``ast``, imports inside functions included) is
compared with it: a new third-party import needs the document changed with it, and a library
the document lists must be used.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
#: Words in the cell that are not libraries.
NOT_LIBRARIES = {"the standard library", "itself"}


def documented(package: str) -> set[str]:
    """The third-party libraries the table's row for ``package`` allows."""
    row = next(line for line in DOC.read_text(encoding="utf-8").splitlines()
               if line.startswith(f"| `{package}` |"))
    cell = row.strip().strip("|").split("|")[-1]
    cell = re.sub(r"\([^)]*\)", "", cell)  # "icalendar (calendar invites)" → "icalendar"
    names = {part.strip().removeprefix("and ").strip() for part in cell.split(",")}
    return {name for name in names if name} - NOT_LIBRARIES


def imported(package: str) -> set[str]:
    """Top-level names of third-party modules imported anywhere under ``package``."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in ("bot", "__future__")}


@pytest.mark.parametrize("package", ["bot/core", "bot/matching"])
def test_the_documented_imports_are_the_real_ones(package: str) -> None:
    assert imported(package) == documented(package), (
        f"{package}: update the 'may import' column in docs/architecture.md with the code")


def test_the_reading_of_the_table() -> None:
    assert documented("bot/core") == {"pydantic", "icalendar", "numpy"}


def _imports_of(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute imports, inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_product_never_imports_the_benchmarks() -> None:
    """The benchmarks sit above the application; ``peerloop bench`` names them as strings."""
    offenders = {str(path.relative_to(ROOT)): sorted(name for name in _imports_of(path)
                                                     if name.split(".")[0] == "benchmarks")
                 for path in (ROOT / "bot").rglob("*.py")}
    assert not {path: names for path, names in offenders.items() if names}


def test_every_bench_subcommand_is_a_benchmark_module() -> None:
    from bot.__main__ import BENCHES

    modules = {path.stem for path in (ROOT / "benchmarks").glob("*.py")} - {"__init__", "support"}
    assert set(BENCHES) == modules
    assert all(target == f"benchmarks.{name}" for name, target in BENCHES.items())
