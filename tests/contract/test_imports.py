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
    row = next(
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| `{package}` |")
    )
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
    return {
        name
        for name in found
        if name not in sys.stdlib_module_names and name not in ("bot", "__future__")
    }


@pytest.mark.parametrize("package", ["bot/core", "bot/matching"])
def test_the_documented_imports_are_the_real_ones(package: str) -> None:
    assert imported(package) == documented(package), (
        f"{package}: update the 'may import' column in docs/architecture.md with the code"
    )


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
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imports_of(path) if name.split(".")[0] == "benchmarks"
        )
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert not {path: names for path, names in offenders.items() if names}


def test_every_bench_subcommand_is_a_benchmark_module() -> None:
    from bot.__main__ import BENCHES

    modules = {path.stem for path in (ROOT / "benchmarks").glob("*.py")} - {"__init__", "support"}
    assert set(BENCHES) == modules
    assert all(target == f"benchmarks.{name}" for name, target in BENCHES.items())


def documented_layers() -> dict[str, int]:
    """Each package or module of the Packages table (``bot.cogs``, ``bot.app``) -> its layer."""
    layers: dict[str, int] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].isdigit():
            for name in re.findall(r"`([^`]+)`", cells[0]):
                layers[name.removesuffix(".py").replace("/", ".")] = int(cells[1])
    return layers


def _layer_of(module: str, layers: dict[str, int]) -> tuple[str, int] | None:
    owners = [name for name in layers if module == name or module.startswith(name + ".")]
    return (max(owners, key=len), layers[max(owners, key=len)]) if owners else None


def test_the_documented_layers_are_the_real_ones() -> None:
    """No module imports a package of a higher layer in the table, nor another package of its own
    layer (imports inside functions and under TYPE_CHECKING included); every bot module has a row."""
    layers = documented_layers()
    assert {"bot.matching", "bot.core", "bot.app", "bot.cogs", "bot.__main__", "benchmarks"} <= set(
        layers
    )
    wrong: list[str] = []
    for root in ("bot", "benchmarks"):
        for path in (ROOT / root).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__"
            )
            if module in ("bot", "benchmarks"):
                continue
            mine = _layer_of(module, layers)
            assert mine is not None, f"{module} belongs to no row of the Packages table"
            for name in _imports_of(path):
                theirs = _layer_of(name, layers)
                if theirs is None or theirs[0] == mine[0] or module == "bot.prompts.__main__":
                    continue  # a library, the package itself, or `python -m bot.prompts` (an entry point)
                if theirs[1] >= mine[1]:
                    wrong.append(f"{module} (layer {mine[1]}) imports {name} (layer {theirs[1]})")
    assert not wrong, "docs/architecture.md's layers disagree with the code:\n" + "\n".join(
        sorted(wrong)
    )


def _expand(glob: str) -> list[str]:
    """``**/*{a,b}*`` -> ``**/*a*``, ``**/*b*`` (brace alternatives, as shells and ripgrep read them)."""
    match = re.search(r"\{([^}]*)\}", glob)
    if match is None:
        return [glob]
    return [
        out
        for alt in match.group(1).split(",")
        for out in _expand(glob[: match.start()] + alt + glob[match.end() :])
    ]


def feature_index() -> list[tuple[str, str, list[str], list[str]]]:
    """(feature, glob, files, also uses) of each row of the Feature index table."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Feature index") :]
    section = section[: section.index("\n## ", 1)]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[1].startswith("`**/"):
            rows.append(
                (
                    cells[0],
                    cells[1].strip("`"),
                    re.findall(r"`([^`]+)`", cells[2]),
                    re.findall(r"`([^`]+)`", cells[3]),
                )
            )
    return rows


def test_the_feature_index_lists_what_each_glob_finds() -> None:
    import fnmatch

    rows = feature_index()
    assert len(rows) >= 15
    code = sorted(
        str(path.relative_to(ROOT))
        for top in ("bot", "benchmarks")
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts and path.name != "__init__.py"
    )
    wrong = []
    for feature, glob, files, also in rows:
        patterns = [pattern.replace("**/", "*") for pattern in _expand(glob)]
        found = [
            path for path in code if any(fnmatch.fnmatch(path, pattern) for pattern in patterns)
        ]
        assert found, f"{feature}: `{glob}` finds nothing"
        wrong += [
            f"{feature}: add `{path}` (the glob finds it)" for path in found if path not in files
        ]
        wrong += [
            f"{feature}: remove `{path}` (the glob does not find it)"
            for path in files
            if path not in found
        ]
        wrong += [
            f"{feature}: `{path}` does not exist" for path in also if not (ROOT / path).exists()
        ]
    assert not wrong, "docs/architecture.md, Feature index:\n" + "\n".join(wrong)
