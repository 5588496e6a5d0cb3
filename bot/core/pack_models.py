"""Community prompt packs as the core sees them: stored, parsed, and their problems.

A pack is a community's own file (YAML or TOML) in the question bank's schema. Parsing
and checking it is the job of a :class:`bot.core.ports.PackCodec` (``bot/prompts``
implements it with the same checker as ``peerloop prompts check``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.bank import Prompt, Rubric
from bot.core.vocab import InterviewType

__all__ = ["PACK_FORMATS", "PackOutline", "PackProblem", "ParsedPack", "StoredPack"]

#: The file formats a pack may be written in.
PACK_FORMATS: tuple[str, ...] = ("yaml", "toml")


@dataclass(frozen=True)
class StoredPack:
    """A community's pack as it was uploaded (the text is kept as is)."""

    id: str
    community_id: str
    #: The pack's id (its ``pack.id``): unique within the community.
    name: str
    format: str
    content: str
    imported_by: str | None
    imported_by_name: str
    imported_at: datetime


@dataclass(frozen=True)
class PackProblem:
    """One problem in a pack, with its place (``line 12, prompts[3].guide.hints``)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class ParsedPack:
    """A checked pack, ready to be combined with the bundled bank."""

    id: str
    name: str
    disabled_types: frozenset[InterviewType]
    rubrics: tuple[Rubric, ...]
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class PackOutline:
    """What a pack would change in a community's types, read from a pack with problems too:
    the built-in types it switches off and the type of each prompt whose type can be read
    (so a refused pack is also told whether it would leave a type too few prompts)."""

    disabled_types: frozenset[InterviewType]
    prompt_types: tuple[InterviewType, ...]
