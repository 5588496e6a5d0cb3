"""Text faces' command lines (Slack's ``/mock …``, the console), parsed from the declarations.

``schedule type:coding days:5`` → the ``schedule`` command with ``{"type": "coding", "days": "5"}``;
quotes group words (``types:"coding, behavioral"``); a word after ``key:`` continues its
value (``types:coding, behavioral``); an option declared ``rest`` may be given without its
key (``schedule coding``, ``availability weekdays 18:00-21:00``, ``admin member @carol``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from bot.core.errors import InvalidInput
from bot.core.messages import quote
from bot.core.surface.commands import ADMIN, COMMANDS, GROUP_DEFAULTS, Command


@dataclass(frozen=True)
class ParsedLine:
    """A command line split into its path (as typed) and its options (text)."""

    path: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    #: The declared command at ``path``, if there is one.
    command: Command | None = None


def _is_option(token: str) -> bool:
    key, sep, _ = token.partition(":")
    return bool(sep) and key.replace("-", "").replace("_", "").isalpha() and len(key) <= 20


def _split_path(words: list[str]) -> tuple[tuple[str, ...], Command | None, int]:
    """The longest declared path that the first words spell, its command and how many words it took."""
    lowered = [w.lower() for w in words]
    first = tuple(lowered[:2]) if lowered[:1] == [ADMIN] else tuple(lowered[:1])
    best: tuple[tuple[str, ...], Command | None, int] = (first, None, len(first))
    for group, default in GROUP_DEFAULTS.items():
        if tuple(lowered[: len(group)]) == group and len(group) >= len(best[0]):
            best = (group, next(c for c in COMMANDS if c.path == default), len(group))
    for c in COMMANDS:
        n = len(c.path)
        if tuple(lowered[:n]) == c.path and n >= len(best[0]):
            best = (c.path, c, n)
    return best


def parse_line(text: str) -> ParsedLine:
    """``/mock schedule coding`` → ``ParsedLine(("schedule",), {"type": "coding"}, <schedule>)``.

    An empty line is ``help`` (``admin`` alone: the admin help). A line whose words name no
    declared command comes back without one (the router says what the commands are)."""
    text = text.strip()
    if text.lower().startswith("/mock"):
        text = text[len("/mock") :].strip()
    if not text:
        return ParsedLine(("help",), {}, next(c for c in COMMANDS if c.path == ("help",)))
    head = text.split()
    path, command, used = _split_path(head[:3])
    rest = text
    for _ in range(used):
        rest = rest.strip().partition(" ")[2]
    rest = rest.strip()
    if command is None or not rest:
        return ParsedLine(path, {}, command)
    try:
        tokens = shlex.split(rest)
    except ValueError:
        raise InvalidInput(
            "options", "A quote is not closed.", accepted='key:value or key:"several words"'
        ) from None
    free = next((o.name for o in command.options if o.rest), None)
    if free is not None and not any(_is_option(t) for t in tokens):
        return ParsedLine(path, {free: rest}, command)
    options: dict[str, str] = {}
    loose: list[str] = []
    last_key: str | None = None
    for token in tokens:
        if _is_option(token):
            key, _, value = token.partition(":")
            last_key = key.lower().replace("-", "_")
            options[last_key] = value
        elif last_key is not None:
            options[last_key] = f"{options[last_key]} {token}".strip()
        else:
            loose.append(token)
    if loose:
        if free is None:
            raise InvalidInput(
                "options",
                f"“{quote(' '.join(loose))}” is not an option.",
                accepted="key:value pairs, e.g. type:coding",
            )
        options.setdefault(free, " ".join(loose))
    return ParsedLine(path, options, command)
