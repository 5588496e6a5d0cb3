"""The question bank as the core sees it: :class:`PromptSource` and the pack codec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.core.bank import Prompt, Rubric
from bot.core.pack_models import PackOutline, PackProblem, ParsedPack
from bot.core.vocab import InterviewType, Level


class PromptSource(Protocol):
    """The question bank as the core needs it (``bot.prompts.PromptBank`` implements it)."""

    def prompts(
        self,
        type: InterviewType | str | None = None,
        level: Level | str | None = None,
        track: str | None = None,
    ) -> tuple[Prompt, ...]:
        """The enabled prompts, filtered by type, level and track when given."""
        ...

    def get(self, prompt_id: str) -> Prompt:
        """The prompt with this id (enabled or not); :class:`NotFound` otherwise."""
        ...

    def rubric(self, rubric_id: str) -> Rubric:
        """The rubric with this id; :class:`NotFound` otherwise."""
        ...

    def rubric_for_type(self, interview_type: InterviewType | str) -> Rubric:
        """The rubric of an interview type."""
        ...


class PackCodec(Protocol):
    """Reads and checks community prompt packs (``bot.prompts`` implements it)."""

    def check(
        self, text: str, fmt: str | None, others: Sequence[ParsedPack]
    ) -> tuple[ParsedPack | None, list[PackProblem]]:
        """The pack and an empty list, or None and every problem with its place. Ids are
        checked against the bundled bank and ``others`` (the community's other packs)."""
        ...

    def combine(
        self, packs: Sequence[ParsedPack], disabled: frozenset[InterviewType]
    ) -> PromptSource:
        """The bundled bank plus ``packs``, with built-in prompts of ``disabled`` types off."""
        ...

    def pack_id(self, text: str, fmt: str | None) -> str | None:
        """The pack's ``pack.id`` if the file can be read that far (to find the pack it replaces)."""
        ...

    def outline(self, text: str, fmt: str | None) -> PackOutline | None:
        """Its switched-off types and its prompts' types, read leniently; None if unreadable."""
        ...

    def bundled(self) -> PromptSource:
        """The bundled bank."""
        ...

    def dump(self, pack: ParsedPack) -> str:
        """The pack as YAML in the form :meth:`check` reads."""
        ...

    def example(self, interview_type: InterviewType) -> str:
        """The bundled prompts of a type as a pack (YAML): a starting point for a community's own."""
        ...
