"""Dumping: prompts and rubrics written as a pack file (YAML), in the form the loader reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from bot.core.bank import (
    Prompt,
    Rubric,
)
from bot.core.vocab import InterviewType


def dump_pack(
    pack_id: str,
    name: str,
    disabled: Iterable[InterviewType],
    rubrics: Iterable[Rubric],
    prompts: Iterable[Prompt],
) -> str:
    doc: dict[str, Any] = {
        "pack": {"id": pack_id, "name": name, "disabled_types": sorted(t.value for t in disabled)},
    }
    rubric_list = [r.model_dump(mode="json", exclude_none=True) for r in rubrics]
    if rubric_list:
        doc["rubrics"] = rubric_list
    doc["prompts"] = [p.model_dump(mode="json", exclude_none=True) for p in prompts]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=96)
