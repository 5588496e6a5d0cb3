"""Names of rubric dimensions for charts and digests.

A type's own rubric names most dimensions; a dimension from another rubric of the type (the
bundled ``behavioral-bar-raiser`` rubric's ``holds-up-under-design``, or a pack's rubric)
is named by the rubric of a prompt of that type that has it.
"""

from __future__ import annotations

from bot.core.errors import NotFound
from bot.core.ports import PromptSource
from bot.core.vocab import InterviewType


def dimension_names(source: PromptSource, interview_type: InterviewType | str) -> dict[str, str]:
    """Dimension id -> name for every rubric the type's prompts use, the type's own rubric first
    (its names win, and its order comes first)."""
    kind = InterviewType(interview_type)
    names: dict[str, str] = {}
    rubric_ids: list[str] = []
    try:
        rubric_ids.append(source.rubric_for_type(kind).id)
    except NotFound:
        pass
    for prompt in source.prompts(type=kind):
        if prompt.rubric not in rubric_ids:
            rubric_ids.append(prompt.rubric)
    for rubric_id in rubric_ids:
        try:
            rubric = source.rubric(rubric_id)
        except NotFound:
            continue
        for dim in rubric.dimensions:
            names.setdefault(dim.id, dim.name)
    return names
