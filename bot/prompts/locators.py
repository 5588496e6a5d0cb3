"""Line locators: the line of a YAML or TOML file that a problem's path (``prompts[3].guide``)
points at, so every problem is reported with its place."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from bot.prompts.problems import Loc


def format_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


#: libyaml's parser when available (much faster), with PyYAML's safe constructor.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_compose_and_load(text: str) -> tuple[yaml.Node | None, object]:
    """Parse once: the node tree (for line numbers) and the plain data built from it."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def yaml_locator(root: yaml.Node | None) -> Callable[[Loc], int | None]:
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


def toml_locator(text: str) -> Callable[[Loc], int | None]:
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
                following = [
                    h[0]
                    for h in headers
                    if h[0] > start and (h[2] == name or not h[2].startswith(name + "."))
                ]
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
