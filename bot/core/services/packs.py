"""Community prompt packs: import, export, list, remove, and built-in types on or off.

Every method checks the actor's admin right itself. An import is checked whole by the
same checker as ``peerloop prompts check`` (through :class:`bot.core.ports.PackCodec`)
against the bundled bank and the community's other packs; a pack with any problem is
refused whole and nothing is stored. A pack with the id of a stored one replaces it in
the same transaction.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import Conflict, InvalidInput, NotFound
from bot.core.messages import Attachment, Field, OutboundMessage, Tone, quote, ts
from bot.core.models import Community, Session, SessionState
from bot.core.pack_models import PACK_FORMATS, PackProblem, ParsedPack, StoredPack
from bot.core.packs import (
    MIN_PROMPTS_PER_TYPE,
    THIN_RULE,
    CommunityPrompts,
    disabled_of,
    thin_message,
    thin_types,
)
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import Actor, new_id
from bot.core.services.feedback_forms import FEEDBACK_WINDOW, window_end
from bot.core.vocab import InterviewType, parse_interview_type

__all__ = [
    "MAX_PACK_BYTES",
    "MIN_PROMPTS_PER_TYPE",
    "SHOWN_PROBLEMS",
    "ImportResult",
    "PackService",
    "pack_format",
]

#: The largest pack file an admin may import (the faces say so before downloading).
MAX_PACK_BYTES = 512 * 1024
#: At most this many problems are listed in the reply; all of them go in an attached file.
SHOWN_PROBLEMS = 12
_SHOWN_CHARS = 1800
_SUFFIXES = {"yaml": "yaml", "yml": "yaml", "toml": "toml"}


def pack_format(filename: str | None) -> str | None:
    """``yaml`` or ``toml`` from a file name; None when there is no suffix (the text decides)."""
    if not filename or "." not in filename:
        return None
    suffix = filename.rsplit(".", 1)[1].lower()
    if suffix not in _SUFFIXES:
        raise InvalidInput(
            "file", f"“{quote(filename)}” is not a pack file.", accepted=".yaml, .yml or .toml"
        )
    return _SUFFIXES[suffix]


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the stored pack, or every problem (nothing stored)."""

    pack: ParsedPack | None
    problems: tuple[PackProblem, ...] = ()
    replaced: StoredPack | None = None
    #: Interview types with no prompts left in the community (switched off there).
    off_types: tuple[str, ...] = ()


def _off_types(source: PromptSource) -> list[str]:
    return [kind.label for kind in InterviewType if not source.prompts(kind)]


def _thin_problem(thin: Sequence[str]) -> PackProblem:
    return PackProblem(
        "pack", f"with this pack too few prompts would be left of: {', '.join(thin)}; {THIN_RULE}"
    )


#: How far back a completed session's start can lie while its feedback is still open: the
#: feedback window plus more than any session lasts.
LIVE_LOOKBACK = FEEDBACK_WINDOW + timedelta(days=1)


def _live(session: Session, now: datetime) -> bool:
    """The session still needs its prompts: to come, running, or its feedback window open."""
    if session.state is SessionState.COMPLETED:
        return window_end(session) > now
    return not session.state.is_final


def problems_message(
    problems: Sequence[PackProblem], *, title: str = "Pack refused"
) -> OutboundMessage:
    """Each problem with its place, as many as fit; all of them in an attached file when more."""
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    head = f"{count} {noun}; nothing of the pack was applied. Fix them and import the file again."
    lines: list[str] = []
    used = len(head)
    for problem in problems[:SHOWN_PROBLEMS]:
        line = f"• {problem}"
        if len(line) > 300:
            line = line[:297] + "…"
        if used + len(line) + 1 > _SHOWN_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
    attachments: tuple[Attachment, ...] = ()
    if len(lines) < count:
        lines.append(
            f"…and {count - len(lines)} more: every problem is in the attached pack-problems.txt."
        )
        listing = "\n".join(str(p) for p in problems) + "\n"
        attachments = (
            Attachment(
                "pack-problems.txt",
                listing.encode(),
                "text/plain",
                f"All {count} problems in the pack",
            ),
        )
    return OutboundMessage(
        title=title, text=head + "\n" + "\n".join(lines), tone=Tone.ERROR, attachments=attachments
    )


@dataclass(frozen=True)
class _Vetted:
    """An import checked against the community's packs: the pack (None: refused) and the rest."""

    pack: ParsedPack | None
    problems: tuple[PackProblem, ...]
    after: PromptSource | None = None
    thin: tuple[str, ...] = ()
    old: StoredPack | None = None
    old_ids: frozenset[str] = frozenset()


class PackService:
    """Pack checks and bank building are pure work of tens of milliseconds per pack: each
    method does them in one call on a thread (:func:`asyncio.to_thread`), so the event loop
    keeps answering meanwhile; the reads and writes stay on the loop."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, prompts: CommunityPrompts) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        self._codec = prompts.codec

    # -- reading ------------------------------------------------------------------------------

    async def _community(self, tx: UnitOfWork, actor: Actor) -> Community:
        community = await tx.communities.get(actor.community.id)
        if community is None:
            raise NotFound("This community is not known to PeerLoop any more.")
        return community

    def _parse_stored(self, stored: Iterable[StoredPack]) -> list[ParsedPack]:
        parsed: list[ParsedPack] = []
        for pack in stored:
            result, _problems = self._codec.check(pack.content, pack.format, parsed)
            if result is not None:
                parsed.append(result)
        return parsed

    def _vet_import(
        self,
        text: str,
        fmt: str | None,
        stored: Sequence[StoredPack],
        disabled: frozenset[InterviewType],
    ) -> _Vetted:
        pack_id = self._codec.pack_id(text, fmt)
        others = self._parse_stored(p for p in stored if p.name != pack_id)
        pack, problems = self._codec.check(text, fmt, others)
        before = self._codec.combine(
            [*others, *self._parse_stored(p for p in stored if p.name == pack_id)], disabled
        )
        if pack is None:
            # Every problem at once: the types it would leave too thin as well (read leniently).
            outline = self._codec.outline(text, fmt)
            if outline is not None:
                after = self._codec.combine(others, disabled | outline.disabled_types)
                thin = thin_types(before, after, adding=outline.prompt_types)
                if thin:
                    problems = [*problems, _thin_problem(thin)]
            return _Vetted(None, tuple(problems))
        after = self._codec.combine([*others, pack], disabled)
        old = next((p for p in stored if p.name == pack.id), None)
        old_ids = (
            frozenset(p.id for parsed in self._parse_stored([old]) for p in parsed.prompts)
            if old
            else frozenset()
        )
        return _Vetted(pack, (), after, tuple(thin_types(before, after)), old, old_ids)

    async def _guard_live_prompts(
        self, tx: UnitOfWork, community_id: str, gone: set[str], what: str
    ) -> None:
        if not gone:
            return
        now = self._clock.now()
        for session in await tx.sessions.live_for_community(community_id, now - LIVE_LOOKBACK):
            used = gone.intersection(session.prompt_ids)
            if used and _live(session, now):
                raise Conflict(
                    f"{what} would take away prompt “{quote(sorted(used)[0])}”, which a session on "
                    f"{ts(session.start, 'f')} still uses (its feedback closes {ts(window_end(session), 'f')}). "
                    "Try again after that, or keep that prompt id in the pack."
                )

    # -- import ------------------------------------------------------------------------------

    async def import_pack(
        self, actor: Actor, data: bytes | str, filename: str | None = None
    ) -> ImportResult:
        """Check and store a pack; a pack with any problem is refused whole (nothing stored)."""
        actor.require_admin()
        raw = data.encode() if isinstance(data, str) else data
        if len(raw) > MAX_PACK_BYTES:
            raise InvalidInput(
                "file",
                f"The file is {len(raw):,} bytes; a pack may be at most "
                f"{MAX_PACK_BYTES // 1024} KB.",
            )
        if not raw.strip():
            raise InvalidInput("file", "The file is empty.", accepted="a YAML or TOML pack")
        fmt = pack_format(filename)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                "file", "The file is not UTF-8 text.", accepted="a YAML or TOML pack in UTF-8"
            ) from None
        async with self._uow() as tx:
            community = await self._community(tx, actor)
            stored = await tx.packs.list(community.id)
            vetted = await asyncio.to_thread(
                self._vet_import, text, fmt, stored, disabled_of(community)
            )
            pack, after = vetted.pack, vetted.after
            if pack is None or after is None:
                return ImportResult(None, vetted.problems)
            if vetted.thin:
                return ImportResult(None, (_thin_problem(vetted.thin),))
            old = vetted.old
            if old is not None:
                kept = {p.id for p in pack.prompts}
                await self._guard_live_prompts(
                    tx,
                    community.id,
                    set(vetted.old_ids - kept),
                    f"Replacing pack “{quote(pack.id)}”",
                )
            await tx.packs.save(
                StoredPack(
                    id=new_id(),
                    community_id=community.id,
                    name=pack.id,
                    format=fmt or _sniff(text),
                    content=text,
                    imported_by=actor.member.id,
                    imported_by_name=actor.member.display_name,
                    imported_at=self._clock.now(),
                )
            )
        await self._reload(community.id)
        return ImportResult(pack, (), old, tuple(_off_types(after)))

    async def import_message(
        self, actor: Actor, data: bytes | str, filename: str | None = None
    ) -> OutboundMessage:
        """:meth:`import_pack` as a reply for the faces."""
        result = await self.import_pack(actor, data, filename)
        if result.pack is None:
            return problems_message(result.problems)
        pack = result.pack
        by_type = Counter(p.type.label for p in pack.prompts)
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(by_type.items())) or "none"
        off = ", ".join(sorted(t.label for t in pack.disabled_types)) or "none"
        verb = "replaced" if result.replaced is not None else "imported"
        text = (
            f"Pack “{quote(pack.id)}” ({pack.name}) {verb}. Sessions booked from now on in this community "
            "can use its prompts."
        )
        if result.replaced is not None:
            text += (
                f" It replaces the version {result.replaced.imported_by_name or 'someone'} imported "
                f"{ts(result.replaced.imported_at, 'f')}."
            )
        if result.off_types:
            text += (
                f" No prompts are left for: {', '.join(result.off_types)}, so members cannot ask for those "
                "interviews here."
            )
        return OutboundMessage(
            title="Prompt pack imported",
            text=text,
            tone=Tone.SUCCESS,
            fields=(
                Field("Prompts", f"{len(pack.prompts)} ({kinds})", inline=True),
                Field("New rubrics", ", ".join(r.id for r in pack.rubrics) or "none", inline=True),
                Field("Built-in types switched off by the pack", off, inline=True),
            ),
        )

    async def _reload(self, community_id: str) -> None:
        self._prompts.invalidate(community_id)
        async with self._uow() as tx:
            await self._prompts.load(tx, community_id)

    # -- export, list --------------------------------------------------------------------------

    async def export(self, actor: Actor, what: str | None = None) -> OutboundMessage:
        """The community's packs (or one, by id) as YAML files; an interview type gives its
        built-in prompts as an example pack to start from."""
        actor.require_admin()
        what = (what or "").strip()
        async with self._uow() as tx:
            community = await self._community(tx, actor)
            stored = await tx.packs.list(community.id)
        if what and what not in {p.name for p in stored}:
            try:
                kind = parse_interview_type(what)
            except InvalidInput:
                names = ", ".join(p.name for p in stored) or "none yet"
                raise InvalidInput(
                    "pack",
                    f"There is no pack or interview type “{quote(what)}”.",
                    accepted=f"a pack id ({names}) or an interview type, e.g. coding",
                ) from None
            example = await asyncio.to_thread(self._codec.example, kind)
            return OutboundMessage(
                title=f"Built-in {kind.label} prompts",
                text=(
                    "The bundled prompts of this type as a pack. Give the pack and every prompt a new id, "
                    "edit, then import it."
                ),
                attachments=(
                    Attachment(
                        f"{kind.value}-example.yaml",
                        example.encode(),
                        "application/x-yaml",
                        f"Built-in {kind.label} prompts",
                    ),
                ),
            )
        chosen = [p for p in stored if not what or p.name == what]
        if not chosen:
            return OutboundMessage(
                text="This community has no prompt packs yet. `prompts export coding` gives the "
                "built-in coding prompts as a pack to start from."
            )
        files = await asyncio.to_thread(self._as_yaml, chosen)
        names = ", ".join(p.name for p in chosen)
        return OutboundMessage(
            title="Prompt packs",
            text=f"This community's packs as YAML: {names}.",
            attachments=tuple(files[:10]),
        )

    def _as_yaml(self, chosen: Sequence[StoredPack]) -> list[Attachment]:
        files = []
        for stored_pack in chosen:
            text, ext = stored_pack.content, stored_pack.format
            if stored_pack.format != "yaml":
                parsed = self._parse_stored([stored_pack])
                if parsed:
                    text, ext = self._codec.dump(parsed[0]), "yaml"
            files.append(
                Attachment(
                    f"{stored_pack.name}.{ext}",
                    text.encode(),
                    "application/x-yaml",
                    f"Prompt pack {stored_pack.name}",
                )
            )
        return files

    async def list_packs(self, actor: Actor) -> OutboundMessage:
        """The community's prompt packs, with what each holds and who imported it."""
        actor.require_admin()
        async with self._uow() as tx:
            community = await self._community(tx, actor)
            stored = await tx.packs.list(community.id)
        parsed = {p.id: p for p in await asyncio.to_thread(self._parse_stored, stored)}
        fields = []
        for pack in stored[:20]:
            p = parsed.get(pack.name)
            what = (
                (
                    f"{len(p.prompts)} prompts, {len(p.rubrics)} rubrics"
                    + (
                        f"; switches off {', '.join(sorted(t.value for t in p.disabled_types))}"
                        if p.disabled_types
                        else ""
                    )
                )
                if p
                else "no longer loads (a bundled id now clashes)"
            )
            fields.append(
                Field(
                    pack.name,
                    f"{p.name if p else ''}\n{what}\nImported by "
                    f"{pack.imported_by_name or 'someone'} {ts(pack.imported_at, 'f')}".strip(),
                )
            )
        off = ", ".join(sorted(disabled_of(community))) or "none"
        text = (
            f"{len(stored)} pack(s). Built-in types switched off in the settings: {off}."
            if stored
            else f"No prompt packs yet. Built-in types switched off: {off}."
        )
        return OutboundMessage(title="Prompt packs", text=text, fields=tuple(fields))

    # -- remove, disable, enable -----------------------------------------------------------------

    async def remove(self, actor: Actor, name: str) -> OutboundMessage:
        """Delete a prompt pack by id."""
        actor.require_admin()
        name = name.strip()
        if not name:
            raise InvalidInput(
                "pack", "Name the pack to remove.", accepted="a pack id from `prompts list`"
            )
        async with self._uow() as tx:
            community = await self._community(tx, actor)
            stored = await tx.packs.list(community.id)
            target = next((p for p in stored if p.name == name), None)
            if target is None:
                raise NotFound(
                    f"There is no pack “{quote(name)}”. Packs: {', '.join(p.name for p in stored) or 'none'}."
                )
            mine, thin = await asyncio.to_thread(
                self._vet_removal, stored, target, disabled_of(community)
            )
            if thin:
                raise Conflict(
                    f"Removing this pack would leave too few prompts of: {', '.join(thin)}; {THIN_RULE}. "
                    "Switch the built-in prompts on first (`prompts enable`)."
                )
            await self._guard_live_prompts(
                tx,
                community.id,
                {p.id for m in mine for p in m.prompts},
                f"Removing pack “{quote(name)}”",
            )
            await tx.packs.delete(community.id, name)
        await self._reload(community.id)
        return OutboundMessage(
            text=f"Pack “{quote(name)}” removed; sessions booked from now on no longer use its prompts.",
            tone=Tone.SUCCESS,
        )

    def _vet_removal(
        self, stored: Sequence[StoredPack], target: StoredPack, disabled: frozenset[InterviewType]
    ) -> tuple[list[ParsedPack], list[str]]:
        """The removed pack as parsed, and the types it would leave too thin."""
        others = self._parse_stored(p for p in stored if p.name != target.name)
        mine = self._parse_stored([target])
        return mine, thin_types(
            self._codec.combine([*others, *mine], disabled), self._codec.combine(others, disabled)
        )

    def _vet_types(
        self, stored: Sequence[StoredPack], wanted: frozenset[InterviewType]
    ) -> tuple[list[ParsedPack], PromptSource]:
        """The packs as parsed, and the bank with ``wanted`` switched off."""
        parsed = self._parse_stored(stored)
        return parsed, self._codec.combine(parsed, wanted)

    async def set_types(
        self, actor: Actor, types: Sequence[InterviewType], *, enabled: bool
    ) -> OutboundMessage:
        """Switch the built-in prompts of some interview types off (or back on)."""
        actor.require_admin()
        if not types:
            raise InvalidInput(
                "types",
                "Name at least one interview type.",
                accepted=", ".join(t.value for t in InterviewType),
            )
        kinds = list(dict.fromkeys(types))
        async with self._uow() as tx:
            community = await self._community(tx, actor)
            current = disabled_of(community)
            wanted = (current - set(kinds)) if enabled else (current | set(kinds))
            stored = await tx.packs.list(community.id)
            parsed, after = await asyncio.to_thread(self._vet_types, stored, frozenset(wanted))
            thin = await self._prompts.thin_if_switched_off(tx, community, frozenset(wanted))
            if thin:
                raise Conflict(thin_message(thin))
            if wanted != current:
                values = tuple(t.value for t in InterviewType if t in wanted)
                await tx.communities.save_settings(
                    community.id, replace(community.settings, disabled_types=values)
                )
        await self._reload(community.id)
        labels = ", ".join(k.label for k in kinds)
        by_pack = (
            sorted({p.id for p in parsed for k in kinds if k in p.disabled_types})
            if enabled
            else []
        )
        if enabled:
            text = f"Built-in prompts on again for: {labels}."
            if by_pack:
                text += (
                    f" Pack(s) {', '.join(by_pack)} still switch some of them off in their `disabled_types`; "
                    "change the pack and import it again to turn them on."
                )
        else:
            text = f"Built-in prompts switched off for: {labels}."
            off = [k.label for k in kinds if not after.prompts(k)]
            on = [k.label for k in kinds if after.prompts(k)]
            if on:
                text += (
                    f" Sessions booked from now on use this community's packs for: {', '.join(on)}."
                )
            if off:
                text += (
                    f" No prompts are left for: {', '.join(off)}, so members can no longer ask for those "
                    "interviews here (open requests are not paired)."
                )
        return OutboundMessage(text=text, tone=Tone.WARNING if by_pack else Tone.SUCCESS)


def _sniff(text: str) -> str:
    for line in text.splitlines():
        if line.strip() == "[pack]":
            return "toml"
    return PACK_FORMATS[0]
