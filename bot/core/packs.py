"""The prompts a community's sessions use: the bundled bank, minus the built-in types the
community switched off, plus the community's own packs.

:class:`CommunityPrompts` is the :class:`PromptSource` the services are built with. Used
directly it is the bundled bank (with every loaded pack's prompts findable by id, so a
past session still names its prompt); :func:`community_prompts` and :func:`prompts_for`
give the bank of one community. Parsed packs are cached per community, keyed by the
stored rows' ids and the switched-off types, so an import (which writes a new row) is
seen by the next lookup in every process that reads the rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.core.bank import Prompt, Rubric
from bot.core.errors import NotFound
from bot.core.models import Community
from bot.core.pack_models import ParsedPack, StoredPack
from bot.core.ports import PackCodec, PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.vocab import InterviewType, Level

__all__ = [
    "MIN_PROMPTS_PER_TYPE",
    "CommunityPrompts",
    "community_prompts",
    "disabled_of",
    "prompts_for",
    "thin_message",
    "thin_types",
]

log = logging.getLogger(__name__)

_Key = tuple[tuple[str, ...], frozenset[InterviewType]]

#: A swap session asks two different prompts of its type, so a type offered in a community
#: has at least two prompts (a type with none is switched off there).
MIN_PROMPTS_PER_TYPE = 2
THIN_RULE = (
    f"a type needs at least {MIN_PROMPTS_PER_TYPE} prompts (a swap session asks two different ones), "
    "or none to switch it off"
)


def thin_types(
    before: PromptSource, after: PromptSource, *, adding: Sequence[InterviewType] = ()
) -> list[str]:
    """Types that would keep some prompts, but fewer than :data:`MIN_PROMPTS_PER_TYPE` (none
    at all is fine: the type is then switched off in the community). ``adding``: prompts
    (by type) that ``after`` does not hold yet. The one rule behind every change to a
    community's prompts: pack import and removal, ``prompts disable``, ``setup disabled_types``."""
    out = []
    for kind in InterviewType:
        had, left = len(before.prompts(kind)), len(after.prompts(kind)) + adding.count(kind)
        if 0 < left < MIN_PROMPTS_PER_TYPE and left != had:
            out.append(f"{kind.label} ({left} left)")
    return out


def thin_message(thin: Sequence[str]) -> str:
    """Why switching built-in prompts off is refused (``thin`` from :func:`thin_types`)."""
    return (
        f"That would leave too few prompts of: {', '.join(thin)}; {THIN_RULE}. "
        "Add prompts of that type to a pack first."
    )


def disabled_of(community: Community) -> frozenset[InterviewType]:
    """The built-in interview types the community's admins switched off."""
    out: set[InterviewType] = set()
    for value in community.settings.disabled_types:
        try:
            out.add(InterviewType(value))
        except ValueError:
            log.warning("community %s: unknown disabled type %r ignored", community.id, value)
    return frozenset(out)


class CommunityPrompts:
    """A :class:`PromptSource` that knows each community's packs and switched-off types."""

    def __init__(self, codec: PackCodec) -> None:
        self._codec = codec
        self._base: PromptSource = codec.bundled()
        self._cache: dict[str, tuple[_Key, PromptSource, tuple[ParsedPack, ...]]] = {}
        self._prompt_index: dict[str, Prompt] = {}
        self._rubric_index: dict[str, Rubric] = {}

    @property
    def codec(self) -> PackCodec:
        """The codec that reads, checks and combines packs."""
        return self._codec

    # ---- PromptSource: the bundled bank, with loaded packs' ids as a fallback for lookups

    def prompts(
        self,
        type: InterviewType | str | None = None,
        level: Level | str | None = None,
        track: str | None = None,
    ) -> tuple[Prompt, ...]:
        """The bundled bank's prompts of a type, level and track."""
        return self._base.prompts(type, level, track)

    def get(self, prompt_id: str) -> Prompt:
        """A prompt by id: the bundled bank's, else one of a pack loaded in this process."""
        try:
            return self._base.get(prompt_id)
        except NotFound:
            if prompt_id in self._prompt_index:
                return self._prompt_index[prompt_id]
            raise

    def rubric(self, rubric_id: str) -> Rubric:
        """A rubric by id: the bundled bank's, else one of a pack loaded in this process."""
        try:
            return self._base.rubric(rubric_id)
        except NotFound:
            if rubric_id in self._rubric_index:
                return self._rubric_index[rubric_id]
            raise

    def rubric_for_type(self, interview_type: InterviewType | str) -> Rubric:
        """The bundled rubric of an interview type."""
        return self._base.rubric_for_type(interview_type)

    # ---- per community

    def for_community(self, community_id: str) -> PromptSource:
        """The community's bank as last loaded in this process (the bundled bank before that)."""
        cached = self._cache.get(community_id)
        return cached[1] if cached is not None else self

    def packs_of(self, community_id: str) -> tuple[ParsedPack, ...]:
        """The packs of the community as last loaded in this process (none before that)."""
        cached = self._cache.get(community_id)
        return cached[2] if cached is not None else ()

    async def load(self, tx: UnitOfWork, community: Community | str) -> PromptSource:
        """The community's bank, read through ``tx`` (parsed again only when its packs or
        switched-off types changed)."""
        if isinstance(community, str):
            found = await tx.communities.get(community)
            if found is None:
                return self
            community = found
        key: _Key = (await tx.packs.stamps(community.id), disabled_of(community))
        cached = self._cache.get(community.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        stored = await tx.packs.list(community.id) if key[0] else []
        # Checking packs and building the bank is pure work of tens of milliseconds per pack:
        # on a thread, so the event loop keeps answering meanwhile.
        parsed, source = await asyncio.to_thread(self._parse, community.id, key[1], tuple(stored))
        return self._keep(community.id, key, parsed, source)

    def remember(self, community_id: str, key: _Key, stored: Sequence[StoredPack]) -> PromptSource:
        """Parse ``stored`` here and keep it as the community's bank (:meth:`load` parses on a thread)."""
        return self._keep(community_id, key, *self._parse(community_id, key[1], stored))

    def _parse(
        self, community_id: str, disabled: frozenset[InterviewType], stored: Sequence[StoredPack]
    ) -> tuple[list[ParsedPack], PromptSource]:
        """The stored packs that still load, and the bank they make (pure: safe on a thread)."""
        parsed: list[ParsedPack] = []
        for pack in stored:
            result, problems = self._codec.check(pack.content, pack.format, parsed)
            if result is None:  # fitted when imported; a newer bundled bank may clash with it
                log.warning(
                    "community %s: stored pack %r no longer loads and is left out: %s",
                    community_id,
                    pack.name,
                    "; ".join(str(p) for p in problems[:3]),
                )
                continue
            parsed.append(result)
        return parsed, self._codec.combine(parsed, disabled)

    def _keep(
        self, community_id: str, key: _Key, parsed: list[ParsedPack], source: PromptSource
    ) -> PromptSource:
        for pack_ in parsed:
            self._prompt_index.update({p.id: p for p in pack_.prompts})
            self._rubric_index.update({r.id: r for r in pack_.rubrics})
        self._cache[community_id] = (key, source, tuple(parsed))
        return source

    async def thin_if_switched_off(
        self, tx: UnitOfWork, community: Community, disabled: frozenset[InterviewType]
    ) -> list[str]:
        """:func:`thin_types` for switching the built-in prompts of ``disabled`` off (and the
        others on) in ``community``, with its packs."""
        await self.load(tx, community)
        packs = self.packs_of(community.id)
        current = disabled_of(community)
        return await asyncio.to_thread(  # building two banks: off the event loop
            lambda: thin_types(
                self._codec.combine(packs, current), self._codec.combine(packs, disabled)
            )
        )

    def invalidate(self, community_id: str) -> None:
        """Forget the community's loaded bank: the next :meth:`load` reads its packs again."""
        self._cache.pop(community_id, None)

    async def warm(self, uow: UnitOfWorkFactory) -> int:
        """Load every community that has packs or switched-off types; the number loaded."""
        loaded = 0
        async with uow() as tx:
            for community in await tx.communities.list():
                if community.settings.disabled_types or await tx.packs.stamps(community.id):
                    await self.load(tx, community)
                    loaded += 1
        return loaded


async def community_prompts(
    source: PromptSource, tx: UnitOfWork, community: Community | str
) -> PromptSource:
    """The prompts of ``community`` (``source`` itself unless it knows communities)."""
    if isinstance(source, CommunityPrompts):
        return await source.load(tx, community)
    return source


def prompts_for(source: PromptSource, community_id: str) -> PromptSource:
    """Like :func:`community_prompts` without a transaction: the last loaded state."""
    if isinstance(source, CommunityPrompts):
        return source.for_community(community_id)
    return source
