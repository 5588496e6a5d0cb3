"""The core's :class:`bot.core.ports.PackCodec`, on top of the loader's pack checker.

It runs the very checker behind ``peerloop prompts check`` (:func:`check_pack`), against
the bundled bank plus the community's other packs, so an id already in use anywhere the
community's sessions could pick from is refused with its place.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence

import yaml

from bot.core.pack_models import PackOutline, PackProblem, ParsedPack
from bot.core.vocab import InterviewType
from bot.prompts.bundled import load_bundled
from bot.prompts.loader import load_pack, pack_outline
from bot.prompts.pack import Pack
from bot.prompts.problems import PackError, PackRejected
from bot.prompts.prompt_bank import PromptBank

__all__ = ["SETTINGS_PACK_ID", "BankPackCodec"]

#: The id under which a community's own switched-off types are applied to its bank.
SETTINGS_PACK_ID = "community-settings"


def _problem(error: PackError) -> PackProblem:
    return PackProblem(where=error.where, message=error.message)


def _pack(parsed: ParsedPack) -> Pack:
    return Pack(
        id=parsed.id,
        name=parsed.name,
        disabled_types=parsed.disabled_types,
        rubrics=parsed.rubrics,
        prompts=parsed.prompts,
    )


def _sniff(text: str) -> str:
    return "toml" if re.search(r"^\s*\[pack\]\s*$", text, re.MULTILINE) else "yaml"


class BankPackCodec:
    def __init__(self, base: PromptBank | None = None) -> None:
        self._base = base if base is not None else load_bundled()

    def bundled(self) -> PromptBank:
        return self._base

    def pack_id(self, text: str, fmt: str | None) -> str | None:
        try:
            if (fmt or _sniff(text)) == "toml":
                data = tomllib.loads(text)
            else:
                data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError):
            return None
        header = data.get("pack") if isinstance(data, dict) else None
        value = header.get("id") if isinstance(header, dict) else None
        return value if isinstance(value, str) else None

    def outline(self, text: str, fmt: str | None) -> PackOutline | None:
        found = pack_outline(text if "\n" in text else text + "\n", fmt)
        return PackOutline(*found) if found is not None else None

    def _with(self, packs: Sequence[ParsedPack]) -> PromptBank:
        bank = self._base
        for parsed in packs:
            bank = bank.with_pack(_pack(parsed))
        return bank

    def check(
        self, text: str, fmt: str | None, others: Sequence[ParsedPack]
    ) -> tuple[ParsedPack | None, list[PackProblem]]:
        # The loader takes a one-line string as a path; uploaded text is never a path.
        if "\n" not in text:
            text += "\n"
        try:
            bank = self._with(others)
        except PackRejected as exc:  # stored packs that no longer fit together
            return None, [_problem(e) for e in exc.errors]
        try:
            pack = load_pack(text, fmt, bank=bank)
        except PackRejected as exc:
            return None, [_problem(e) for e in exc.errors]
        return ParsedPack(
            id=pack.id,
            name=pack.name,
            disabled_types=pack.disabled_types,
            rubrics=pack.rubrics,
            prompts=pack.prompts,
        ), []

    def combine(
        self, packs: Sequence[ParsedPack], disabled: frozenset[InterviewType]
    ) -> PromptBank:
        bank = self._with(packs)
        if disabled:
            bank = bank.with_pack(
                Pack(
                    id=SETTINGS_PACK_ID,
                    name="Community settings",
                    disabled_types=disabled,
                    rubrics=(),
                    prompts=(),
                )
            )
        return bank

    def dump(self, pack: ParsedPack) -> str:
        return _pack(pack).to_text()

    def example(self, interview_type: InterviewType) -> str:
        kind = InterviewType(interview_type)
        ids = [p.id for p in self._base.prompts(type=kind)]
        header = (
            f"# The bundled {kind.label} prompts, as a community pack. To make your own, change\n"
            "# pack.id and every prompt id (they must not clash with the bundled ones), edit,\n"
            "# then check it with: peerloop prompts check FILE\n"
        )
        return header + self._base.to_pack_text(
            f"my-{kind.value}", f"Our {kind.label} prompts", prompt_ids=ids
        )
