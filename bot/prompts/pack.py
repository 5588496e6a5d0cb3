"""A checked community pack (:class:`Pack`), ready to apply to a bank."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.bank import (
    Prompt,
    Rubric,
)
from bot.core.vocab import InterviewType
from bot.prompts.dump import dump_pack


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
        return dump_pack(self.id, self.name, self.disabled_types, self.rubrics, self.prompts)
