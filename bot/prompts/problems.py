"""How the question bank reports problems: :class:`PackError` (one problem, with its place in
the file), :class:`PackRejected` (a pack refused whole) and :class:`BankError` (a bundled file
is invalid)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.errors import PeerLoopError

Loc = tuple[str | int, ...]
Format = Literal["yaml", "toml"]


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
