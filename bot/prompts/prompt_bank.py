"""The bank and its queries: :class:`PromptBank`, an immutable set of prompts and rubrics by
type, level and track, with packs applied on top."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from bot.core.bank import (
    Prompt,
    Rubric,
)
from bot.core.errors import NotFound
from bot.core.vocab import InterviewType, Level
from bot.prompts.dump import dump_pack
from bot.prompts.pack import Pack
from bot.prompts.problems import PackError, PackRejected

#: Where a prompt or rubric came from when it is part of the bundled bank.
BUNDLED_ORIGIN = "bundled"


class PromptBank:
    """An immutable question bank: prompts and rubrics, queryable by type, level and track.

    Built-in prompts of a type a pack disables are hidden from :meth:`prompts` and
    :meth:`types`, but :meth:`get` still finds them (a past session may name one).
    """

    __slots__ = ("_disabled", "_origin", "_packs", "_prompts", "_rubric_origin", "_rubrics")

    def __init__(
        self,
        rubrics: Iterable[Rubric],
        prompts: Iterable[Prompt],
        *,
        origin: Mapping[str, str] | None = None,
        rubric_origin: Mapping[str, str] | None = None,
        disabled_types: Iterable[InterviewType] = (),
        packs: Iterable[str] = (),
    ) -> None:
        rubric_map: dict[str, Rubric] = {}
        for rubric in rubrics:
            if rubric.id in rubric_map:
                raise ValueError(f"duplicate rubric id {rubric.id!r}")
            rubric_map[rubric.id] = rubric
        prompt_map: dict[str, Prompt] = {}
        for prompt in prompts:
            if prompt.id in prompt_map:
                raise ValueError(f"duplicate prompt id {prompt.id!r}")
            if prompt.rubric not in rubric_map:
                raise ValueError(f"prompt {prompt.id!r} names unknown rubric {prompt.rubric!r}")
            prompt_map[prompt.id] = prompt
        self._rubrics: Mapping[str, Rubric] = MappingProxyType(rubric_map)
        self._prompts: Mapping[str, Prompt] = MappingProxyType(prompt_map)
        self._origin: Mapping[str, str] = MappingProxyType(
            {pid: (origin or {}).get(pid, BUNDLED_ORIGIN) for pid in prompt_map}
        )
        self._rubric_origin: Mapping[str, str] = MappingProxyType(
            {rid: (rubric_origin or {}).get(rid, BUNDLED_ORIGIN) for rid in rubric_map}
        )
        self._disabled: frozenset[InterviewType] = frozenset(disabled_types)
        self._packs: tuple[str, ...] = tuple(packs)

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError("PromptBank is immutable; use with_pack() for a new bank")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (
            f"PromptBank({len(self._prompts)} prompts, {len(self._rubrics)} rubrics, "
            f"packs={list(self._packs)})"
        )

    def __len__(self) -> int:
        return len(self.prompts())

    # ---- lookups

    def get(self, prompt_id: str) -> Prompt:
        try:
            return self._prompts[prompt_id]
        except KeyError:
            raise NotFound(f"There is no prompt “{prompt_id}”.") from None

    def find(self, prompt_id: str) -> Prompt | None:
        return self._prompts.get(prompt_id)

    def rubric(self, rubric_id: str) -> Rubric:
        try:
            return self._rubrics[rubric_id]
        except KeyError:
            raise NotFound(f"There is no rubric “{rubric_id}”.") from None

    def rubric_for(self, prompt: Prompt) -> Rubric:
        return self.rubric(prompt.rubric)

    def rubric_for_type(self, interview_type: InterviewType | str) -> Rubric:
        """The type's rubric: the one whose id is the type's value, else the first for the type."""
        kind = InterviewType(interview_type)
        if kind.value in self._rubrics:
            return self._rubrics[kind.value]
        for rubric in self._rubrics.values():
            if rubric.interview_type is kind:
                return rubric
        raise NotFound(f"There is no rubric for {kind.label} interviews.")

    def rubric_map(self) -> Mapping[str, Rubric]:
        return self._rubrics

    def rubrics(self) -> tuple[Rubric, ...]:
        return tuple(self._rubrics.values())

    def prompt_ids(self) -> tuple[str, ...]:
        return tuple(self._prompts)

    def origin(self, prompt_id: str) -> str:
        """``"bundled"`` or the id of the pack the prompt came from."""
        return self._origin[prompt_id]

    def origin_label(self, item_id: str, *, rubric: bool = False) -> str:
        where = (self._rubric_origin if rubric else self._origin).get(item_id, BUNDLED_ORIGIN)
        return "the bundled bank" if where == BUNDLED_ORIGIN else f"pack '{where}'"

    @property
    def disabled_types(self) -> frozenset[InterviewType]:
        return self._disabled

    @property
    def packs(self) -> tuple[str, ...]:
        return self._packs

    def is_enabled(self, prompt: Prompt) -> bool:
        return not (prompt.type in self._disabled and self._origin[prompt.id] == BUNDLED_ORIGIN)

    def prompts(
        self,
        type: InterviewType | str | None = None,
        level: Level | str | None = None,
        track: str | None = None,
    ) -> tuple[Prompt, ...]:
        """Enabled prompts, in bank order, filtered by type, level and track (``any`` fits all)."""
        kind = InterviewType(type) if type is not None else None
        lvl = Level(level) if level is not None else None
        return tuple(
            p
            for p in self._prompts.values()
            if self.is_enabled(p)
            and (kind is None or p.type is kind)
            and (lvl is None or lvl in p.levels)
            and (track is None or track == "any" or p.suits_track(track))
        )

    def types(self) -> tuple[InterviewType, ...]:
        """The interview types with at least one enabled prompt, in the vocabulary's order."""
        present = {p.type for p in self._prompts.values() if self.is_enabled(p)}
        return tuple(t for t in InterviewType if t in present)

    # ---- combining

    def with_pack(self, pack: Pack) -> PromptBank:
        """A new bank with the pack's rubrics and prompts added and its disabled types off.

        Raises :class:`PackRejected` if an id clashes with this bank (a pack checked against
        another bank) or a prompt's rubric cannot be resolved; this bank is never changed.
        """
        problems: list[PackError] = []
        for index, rubric in enumerate(pack.rubrics):
            if rubric.id in self._rubrics:
                used = self.origin_label(rubric.id, rubric=True)
                problems.append(
                    PackError(
                        f"rubrics[{index}].id", f"rubric id '{rubric.id}' is already used by {used}"
                    )
                )
        for index, prompt in enumerate(pack.prompts):
            if prompt.id in self._prompts:
                problems.append(
                    PackError(
                        f"prompts[{index}].id",
                        f"prompt id '{prompt.id}' is "
                        f"already used by {self.origin_label(prompt.id)}",
                    )
                )
            known = prompt.rubric in self._rubrics or any(
                r.id == prompt.rubric for r in pack.rubrics
            )
            if not known:
                problems.append(
                    PackError(f"prompts[{index}].rubric", f"no rubric '{prompt.rubric}'")
                )
        if pack.id in self._packs:
            problems.append(PackError("pack.id", f"pack '{pack.id}' is already applied"))
        if problems:
            raise PackRejected(problems)
        return PromptBank(
            [*self._rubrics.values(), *pack.rubrics],
            [*self._prompts.values(), *pack.prompts],
            origin={**self._origin, **{p.id: pack.id for p in pack.prompts}},
            rubric_origin={**self._rubric_origin, **{r.id: pack.id for r in pack.rubrics}},
            disabled_types=self._disabled | pack.disabled_types,
            packs=(*self._packs, pack.id),
        )

    def to_pack_text(
        self,
        pack_id: str,
        name: str,
        *,
        prompt_ids: Iterable[str] | None = None,
        disabled_types: Iterable[InterviewType | str] = (),
    ) -> str:
        """Export prompts as a pack (YAML). By default: every prompt and rubric added by packs.

        Exporting bundled prompts gives a starting point for a community's own: give them
        new ids before loading the file back as a pack.
        """
        if prompt_ids is None:
            chosen = [p for p in self._prompts.values() if self._origin[p.id] != BUNDLED_ORIGIN]
            rubrics = [
                r for r in self._rubrics.values() if self._rubric_origin[r.id] != BUNDLED_ORIGIN
            ]
        else:
            chosen = [self.get(pid) for pid in prompt_ids]
            wanted = {p.rubric for p in chosen}
            rubrics = [
                r
                for r in self._rubrics.values()
                if r.id in wanted and self._rubric_origin[r.id] != BUNDLED_ORIGIN
            ]
        return dump_pack(pack_id, name, {InterviewType(t) for t in disabled_types}, rubrics, chosen)
