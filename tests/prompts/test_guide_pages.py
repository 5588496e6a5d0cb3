"""The interviewer guide as delivered: whole, in pages that fit every platform."""

from __future__ import annotations

import pytest

from bot.core.services.session_text import interviewer_guide_pages
from bot.core.vocab import Level
from bot.prompts import load_bundled

#: Discord's limit for one embed (title, description and fields together) and its field count.
EMBED_TOTAL = 6000
EMBED_FIELDS = 25


@pytest.mark.parametrize("level", [None, *Level])
def test_every_bundled_guide_arrives_whole_in_pages_that_fit(level: Level | None) -> None:
    bank = load_bundled()
    for prompt in bank.prompts():
        rubric = bank.rubric(prompt.rubric)
        pages = interviewer_guide_pages(prompt, rubric, level, "This prompt exercises testing.",
                                        session_id="s" * 32, part=1)
        for page in pages:
            size = len(page.title or "") + len(page.text) + sum(len(f.name) + len(f.value) for f in page.fields)
            assert size <= EMBED_TOTAL and len(page.fields) <= EMBED_FIELDS, (prompt.id, page.title)
            assert page.ephemeral
        whole = "\n".join(f"{f.name}\n{f.value}" for page in pages for f in page.fields)
        expected = [
            *prompt.guide.strong_answer, *prompt.guide.hints, *prompt.guide.common_mistakes,
            *(a for d in rubric.dimensions for a in d.anchors.values()),
            *rubric.verdict_guidance.values(),
            *(prompt.coding.test_cases if prompt.coding else ()),
            *(prompt.behavioral.star_probes if prompt.behavioral else ()),
            *(prompt.design.deep_dives if prompt.design else ()),
        ]
        missing = [text for text in expected if text not in whole]
        assert not missing, (prompt.id, missing[:2])
        if len(pages) > 1:  # each page links the others
            assert all(len(p.buttons) == min(5, len(pages) - 1) for p in pages)
